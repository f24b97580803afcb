// Albums: the user's own, the people they named (a person's photos are their album), and the
// library's folders nested as on disk.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { AlbumCard } from "../bindings/AlbumCard";
import type { FolderCard } from "../bindings/FolderCard";
import type { PersonCard } from "../bindings/PersonCard";
import { FaceImage, PhotoPlaceholder, PhotoThumb } from "../components/Pictures";
import { go, href } from "../router";
import { perform, reportError, useAppState } from "../store";

export function AlbumsView() {
  const { revision } = useAppState();
  const [albums, setAlbums] = useState<AlbumCard[] | null>(null);
  const [folders, setFolders] = useState<FolderCard[]>([]);
  const [people, setPeople] = useState<PersonCard[]>([]);
  const [naming, setNaming] = useState<string | null>(null);

  useEffect(() => {
    api.listAlbums().then(setAlbums).catch(reportError);
    api.folderAlbums().then(setFolders).catch(reportError);
    api.namedPeople(false).then(setPeople).catch(reportError);
  }, [revision]);

  const create = async () => {
    const name = naming?.trim();
    if (!name) return setNaming(null);
    let made = 0;
    if (await perform(async () => void (made = await api.createAlbum(name, [])), `Album “${name}” made. Select photos in Photos and choose “Add to album…”.`)) {
      setNaming(null);
      go({ view: "album", id: made });
    }
  };

  return (
    <section class="view albums" data-testid="albums-view">
      <header class="view-header">
        <h1>Albums</h1>
        <span class="spacer" />
        {naming === null ? (
          <button onClick={() => setNaming("")} data-testid="new-album">New album</button>
        ) : (
          <form class="inline" onSubmit={(e) => (e.preventDefault(), create())}>
            <input autoFocus placeholder="Name of the album" value={naming} onInput={(e) => setNaming(e.currentTarget.value)} onKeyDown={(e) => e.key === "Escape" && setNaming(null)} data-testid="new-album-input" />
            <button type="submit">Make</button>
            <button type="button" onClick={() => setNaming(null)}>Cancel</button>
          </form>
        )}
      </header>
      <h2>Your albums</h2>
      {albums !== null && albums.length === 0 ? (
        <p class="muted">None yet. Make one here, or select photos in Photos and choose “Add to album…”.</p>
      ) : (
        <div class="card-row">
          {(albums ?? []).map((album) => (
            <a key={album.id} class="album-card" href={href({ view: "album", id: album.id })} data-testid="album-card">
              <div class="album-cover">{album.coverPhoto !== null ? <PhotoThumb photo={album.coverPhoto} title={album.name} /> : <PhotoPlaceholder title="An empty album" />}</div>
              <div class="album-name">{album.name}</div>
              <div class="muted small">{album.photos.toLocaleString()} {album.photos === 1 ? "photo" : "photos"}</div>
            </a>
          ))}
        </div>
      )}
      {people.length > 0 && (
        <>
          <h2>People</h2>
          <div class="card-row">
            {people.map((person) => (
              <a key={person.id} class="album-card person-album" href={href({ view: "person", id: person.id })} data-testid="person-album">
                <div class="album-cover round"><FaceImage face={person.coverFace} /></div>
                <div class="album-name">{person.name}</div>
                <div class="muted small">{person.photos.toLocaleString()} {person.photos === 1 ? "photo" : "photos"}</div>
              </a>
            ))}
          </div>
        </>
      )}
      <h2>Folders</h2>
      {folders.length === 0 ? (
        <p class="muted">No folders yet. Add one in Library.</p>
      ) : (
        <ul class="folder-tree" data-testid="folder-tree">
          {folders.map((folder) => (
            <li key={folder.path} style={{ paddingLeft: `${folder.depth * 20}px` }}>
              <a href={href({ view: "folder", path: folder.path })} title={folder.path} data-testid="folder-row">
                <span class="folder-icon" aria-hidden="true">▸</span> {folder.name}
              </a>{" "}
              <span class="muted small">{folder.photos.toLocaleString()}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
