// Every photo, newest first, in months, with a year scrubber; filters that combine (people:
// all of them, any, or only them; an album or a folder; dates). Pages load as they come into
// view, wherever the view is scrolled or the scrubber jumps. Also the view of one album or
// one folder.
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ALL_PHOTOS, api } from "../api";
import type { AlbumCard } from "../bindings/AlbumCard";
import type { FolderCard } from "../bindings/FolderCard";
import type { MonthCount } from "../bindings/MonthCount";
import type { PeopleMatch } from "../bindings/PeopleMatch";
import type { PersonCard } from "../bindings/PersonCard";
import type { PhotoCard } from "../bindings/PhotoCard";
import type { PhotoQuery } from "../bindings/PhotoQuery";
import { findByName } from "../components/PersonPicker";
import { PhotoTile } from "../components/PhotoGrid";
import { type ScrollRequest, type Section, SectionGrid } from "../components/SectionGrid";
import { useSelection } from "../components/selection";
import { SuggestInput } from "../components/SuggestInput";
import { go } from "../router";
import { notify, perform, reportError, setState, useAppState } from "../store";

export const PAGE = 200;

/** The twelve month names in the user's language. Made once: WebKit builds a formatter for
 * every `toLocaleString` call, and a timeline of centuries has thousands of months. */
let monthNames: string[] | null = null;

/** "July 2019" for "2019-07"; the photos with no date come last. */
export function monthTitle(month: string | null): string {
  if (!month) return "Date unknown";
  const [year, number] = month.split("-").map(Number);
  if (!monthNames) {
    const format = new Intl.DateTimeFormat(undefined, { month: "long", timeZone: "UTC" });
    monthNames = Array.from({ length: 12 }, (_, m) => format.format(new Date(Date.UTC(2000, m, 1))));
  }
  return `${monthNames[number - 1] ?? month} ${year}`;
}

/** The years of a timeline, newest first, each with its first month's section. */
export function yearsOf(months: MonthCount[]): { year: string; section: number }[] {
  const years: { year: string; section: number }[] = [];
  months.forEach((m, section) => {
    const year = m.month ? m.month.slice(0, 4) : "Undated";
    if (!years.length || years[years.length - 1].year !== year) years.push({ year, section });
  });
  return years;
}

/** The months of `photos` (a listing's first page, newest first) with their counts in it: they
 * stand for the listing's months until those are counted, so the first photos show at once. */
export function monthsOfPhotos(photos: PhotoCard[]): MonthCount[] {
  const months: MonthCount[] = [];
  for (const photo of photos) {
    const month = photo.takenAt ? photo.takenAt.slice(0, 7) : null;
    const last = months[months.length - 1];
    if (last && last.month === month) last.photos += 1;
    else months.push({ month, photos: 1 });
  }
  return months;
}

/** Pages of a long listing, loaded wherever they are asked for; starts over when `key` changes. */
export function usePagedPhotos(query: PhotoQuery, key: string) {
  const [pages, setPages] = useState<{ key: string; pages: Map<number, PhotoCard[]> }>({ key, pages: new Map() });
  const pending = useRef(new Set<string>());
  // Answers for a listing the view moved on from are dropped.
  const latest = useRef(key);
  latest.current = key;
  const current = pages.key === key ? pages.pages : new Map<number, PhotoCard[]>();
  const load = (page: number) => {
    const token = `${key}#${page}`;
    if (current.has(page) || pending.current.has(token)) return;
    pending.current.add(token);
    api
      .photoPage(query, page * PAGE, PAGE)
      .then((result) =>
        setPages((previous) => {
          if (latest.current !== key) return previous;
          const base = previous.key === key ? previous.pages : new Map<number, PhotoCard[]>();
          const next = new Map(base);
          next.set(page, result.photos);
          return { key, pages: next };
        }),
      )
      .catch(reportError)
      .finally(() => pending.current.delete(token));
  };
  return {
    photo: (index: number): PhotoCard | undefined => current.get(Math.floor(index / PAGE))?.[index % PAGE],
    firstPage: (): PhotoCard[] | undefined => current.get(0),
    loaded: [...current.values()].reduce((n, page) => n + page.length, 0),
    /** Loads the pages holding items `first` to `last`, then reads the next page ahead (when
     * the listing, `total` items long, has one), so that scrolling on shows photos at once. */
    ensure: (first: number, last: number, total: number) => {
      const lastPage = Math.floor(last / PAGE);
      for (let page = Math.floor(first / PAGE); page <= lastPage; page++) load(page);
      if ((lastPage + 1) * PAGE < total) load(lastPage + 1);
    },
  };
}

interface Filters {
  people: PersonCard[];
  peopleMatch: PeopleMatch;
  from: string;
  to: string;
  /** `album:ID` or `folder:PATH` chosen in the filter bar (the album and folder views fix it). */
  place: string;
}

export function PhotosView({ album, folder }: { album?: number; folder?: string }) {
  const { revision } = useAppState();
  const [filters, setFilters] = useState<Filters>({ people: [], peopleMatch: "all", from: "", to: "", place: "" });
  const [named, setNamed] = useState<PersonCard[]>([]);
  const [albums, setAlbums] = useState<AlbumCard[]>([]);
  const [folders, setFolders] = useState<FolderCard[]>([]);
  const [typed, setTyped] = useState("");
  const [months, setMonths] = useState<MonthCount[] | null>(null);
  // The section at the top of the view, told to the year scrubber alone: scrolling through
  // months redraws the scrubber, not the whole view.
  const topSection = useRef({ section: 0, listeners: new Set<(section: number) => void>() });
  const tellTopSection = useCallback((section: number) => {
    topSection.current.section = section;
    topSection.current.listeners.forEach((listener) => listener(section));
  }, []);
  const [scrollRequest, setScrollRequest] = useState<ScrollRequest | null>(null);
  const [albumCard, setAlbumCard] = useState<AlbumCard | null>(null);
  const selection = useSelection<number>();
  const asked = useRef<{ key: string; at: number } | null>(null);
  // What the selection was when a drag began, so that a drag can shrink back.
  const dragBase = useRef<Set<number>>(new Set());

  useEffect(() => {
    if (album === undefined) return setAlbumCard(null);
    api.albumDetail(album).then(setAlbumCard).catch((error) => {
      reportError(error);
      go({ view: "albums" });
    });
  }, [album, revision]);

  const query: PhotoQuery = useMemo(() => {
    const place = filters.place;
    return {
      ...ALL_PHOTOS,
      people: filters.people.map((p) => p.id),
      peopleMatch: filters.peopleMatch,
      album: album ?? (place.startsWith("album:") ? Number(place.slice(6)) : null),
      folder: folder ?? (place.startsWith("folder:") ? place.slice(7) : null),
      from: filters.from || null,
      to: filters.to || null,
    };
  }, [filters, album, folder]);
  const key = JSON.stringify([query, revision]);
  const pages = usePagedPhotos(query, key);

  useEffect(() => {
    setMonths(null);
    selection.clear();
    // The months and the first page are asked for together: the first photos show at once.
    pages.ensure(0, 0, 0);
    asked.current = { key, at: performance.now() };
    api.photoMonths(query).then(setMonths).catch(reportError);
  }, [key]);
  // The filter bar's lists are asked for after the listing (effects run in order, and the
  // commands share one connection): with thousands of people, the photos come first.
  useEffect(() => {
    api.namedPeople(true).then(setNamed).catch(reportError);
    api.listAlbums().then(setAlbums).catch(reportError);
    api.folderAlbums().then(setFolders).catch(reportError);
  }, [revision]);

  // How long the first page of a listing took to be asked for, listed and drawn (for measuring).
  useEffect(() => {
    const started = asked.current;
    if (pages.loaded === 0 || started?.key !== key) return;
    asked.current = null;
    requestAnimationFrame(() => {
      document.body.dataset.photosLoadMs = String(Math.round(performance.now() - started.at));
    });
  }, [pages.loaded, key]);
  const firstPage = pages.firstPage();
  const shownMonths = useMemo(() => months ?? monthsOfPhotos(firstPage ?? []), [months, firstPage]);
  const sections: Section[] = useMemo(() => shownMonths.map((m) => ({ key: m.month ?? "undated", title: monthTitle(m.month), count: m.photos })), [shownMonths]);
  const total = shownMonths.reduce((n, m) => n + m.photos, 0);
  const years = useMemo(() => yearsOf(months ?? []), [months]);
  const scrubber = useMemo(
    () => <YearScrubber years={years} top={topSection.current} onJump={(section) => setScrollRequest({ section, token: Date.now() })} />,
    [years],
  );
  const keyOf = (index: number) => pages.photo(index)?.id;

  const change = (part: Partial<Filters>) => setFilters((f) => ({ ...f, ...part }));
  const addPerson = (text: string) => {
    const person = findByName(named, text);
    if (!person) return reportError(`Nobody is named “${text.trim()}”.`);
    setFilters((f) => (f.people.some((p) => p.id === person.id) ? f : { ...f, people: [...f.people, person] }));
    setTyped("");
  };
  const open = (index: number) => {
    const photo = pages.photo(index);
    if (!photo) return;
    setState({ browsing: [], browsingQuery: { query, index } });
    go({ view: "photo", id: photo.id });
  };
  const chosen = [...selection.selected];
  const filtered = filters.people.length > 0 || filters.from || filters.to || filters.place;

  return (
    <section class="view photos" data-testid="photos-view">
      <header class="view-header">
        {albumCard ? <AlbumHeader album={albumCard} /> : <h1>{folder ? folder.split("/").filter(Boolean).pop() ?? folder : "Photos"}</h1>}
        {folder && <p class="muted">{folder}</p>}
        <p class="muted" data-testid="search-count">
          {months === null ? "Loading…" : `${total.toLocaleString()} ${total === 1 ? "photo" : "photos"}`}
        </p>
      </header>
      <div class="toolbar filters">
        <form class="inline" onSubmit={(e) => (e.preventDefault(), addPerson(typed))}>
          <SuggestInput options={named.map((p) => p.name ?? "")} value={typed} onInput={setTyped} onSubmit={addPerson} placeholder="Add a person" testId="search-input" />
          <button type="submit" data-testid="search-add">Add</button>
        </form>
        {filters.people.map((p) => (
          <span class="chip" key={p.id} data-testid="search-chip">
            {p.name}
            <button class="link" aria-label={`Remove ${p.name}`} onClick={() => setFilters((f) => ({ ...f, people: f.people.filter((c) => c.id !== p.id) }))}>×</button>
          </span>
        ))}
        <select value={filters.peopleMatch} onChange={(e) => change({ peopleMatch: e.currentTarget.value as PeopleMatch })} data-testid="search-mode" title="Which photos of these people">
          <option value="all">with all of them</option>
          <option value="any">with any of them</option>
          <option value="only">with only them</option>
        </select>
        {album === undefined && folder === undefined && (
          <select value={filters.place} onChange={(e) => change({ place: e.currentTarget.value })} data-testid="filter-place" title="Album or folder">
            <option value="">in every album</option>
            {albums.map((a) => (
              <option key={a.id} value={`album:${a.id}`}>album {a.name}</option>
            ))}
            {folders.map((f) => (
              <option key={f.path} value={`folder:${f.path}`}>{`folder ${"  ".repeat(f.depth)}${f.name}`}</option>
            ))}
          </select>
        )}
        <label>From <input type="date" value={filters.from} onInput={(e) => change({ from: e.currentTarget.value })} data-testid="filter-from" /></label>
        <label>To <input type="date" value={filters.to} onInput={(e) => change({ to: e.currentTarget.value })} data-testid="filter-to" /></label>
        {filtered && <button class="link" onClick={() => setFilters({ people: [], peopleMatch: "all", from: "", to: "", place: "" })}>Clear filters</button>}
      </div>
      {chosen.length > 0 && <SelectionBar photos={chosen} album={albumCard} albums={albums} onDone={selection.clear} />}
      {months !== null && total === 0 ? (
        <p class="muted empty">{filtered || album || folder ? "No photo matches." : "No photos yet. Add a folder in Library."}</p>
      ) : (
        <div class="timeline">
          <SectionGrid
            testId="timeline"
            sections={sections}
            cellWidth={180}
            cellHeight={180}
            headerHeight={40}
            data={{ loaded: pages.loaded }}
            renderHeader={(section) => (
              <h2 class="month-header" data-testid="month-header">
                {section.title} <span class="muted small">{section.count.toLocaleString()}</span>
              </h2>
            )}
            renderCell={(index) => {
              const photo = pages.photo(index);
              return photo ? <PhotoTile photo={photo} selected={selection.selected.has(photo.id)} /> : <div class="photo-tile loading" />;
            }}
            onVisible={(first, last) => pages.ensure(first, last, total)}
            onTopSection={tellTopSection}
            onActivate={(index) => (selection.selected.size > 0 ? selection.click(index, { shift: false, toggle: true }, keyOf) : open(index))}
            onSelect={(index, modifiers) => selection.click(index, modifiers, keyOf)}
            onDragSelect={(indices, additive, phase) => {
              if (phase === "start") dragBase.current = new Set(selection.selected);
              selection.drag(dragBase.current, indices, additive, keyOf);
            }}
            scrollRequest={scrollRequest}
          />
          {scrubber}
        </div>
      )}
    </section>
  );
}

/** The years of the timeline; the one at the top of the view stands out. */
function YearScrubber({ years, top, onJump }: { years: { year: string; section: number }[]; top: { section: number; listeners: Set<(section: number) => void> }; onJump: (section: number) => void }) {
  const [section, setSection] = useState(top.section);
  useEffect(() => {
    top.listeners.add(setSection);
    return () => void top.listeners.delete(setSection);
  }, [top]);
  const current = [...years].reverse().find((y) => y.section <= section)?.year;
  return (
    <nav class="year-scrubber" data-testid="year-scrubber" aria-label="Years">
      {years.map((y) => (
        <button key={y.year} class={y.year === current ? "current" : ""} onClick={() => onJump(y.section)} data-testid="year-button">
          {y.year}
        </button>
      ))}
    </nav>
  );
}

function AlbumHeader({ album }: { album: AlbumCard }) {
  const [rename, setRename] = useState<string | null>(null);
  const save = async () => {
    if (rename === null || !rename.trim() || rename.trim() === album.name) return setRename(null);
    if (await perform(() => api.renameAlbum(album.id, rename.trim()), "Album renamed.")) setRename(null);
  };
  const remove = async () => {
    if (!confirm(`Delete the album “${album.name}”? Its photos stay in your library (Undo brings the album back).`)) return;
    if (await perform(() => api.deleteAlbum(album.id), `Album “${album.name}” deleted; Undo brings it back.`)) go({ view: "albums" });
  };
  return (
    <>
      {rename === null ? (
        <h1 data-testid="album-title">{album.name}</h1>
      ) : (
        <form onSubmit={(e) => (e.preventDefault(), save())}>
          <input autoFocus value={rename} onInput={(e) => setRename(e.currentTarget.value)} onBlur={save} data-testid="album-rename-input" />
        </form>
      )}
      <button onClick={() => setRename(album.name)}>Rename</button>
      <button onClick={remove} data-testid="delete-album">Delete album</button>
    </>
  );
}

/** What can be done with the selected photos: put them in an album (a new one, by typing a
 * new name), or take them out of the album shown. */
function SelectionBar({ photos, album, albums, onDone }: { photos: number[]; album: AlbumCard | null; albums: AlbumCard[]; onDone: () => void }) {
  const [adding, setAdding] = useState(false);
  const [typed, setTyped] = useState("");
  const add = async (name: string) => {
    const wanted = name.trim();
    if (!wanted) return;
    const existing = albums.find((a) => a.name.toLocaleLowerCase() === wanted.toLocaleLowerCase());
    const done = await perform(async () => {
      if (existing) {
        const added = await api.addToAlbum(existing.id, photos);
        notify(`${added.toLocaleString()} ${added === 1 ? "photo" : "photos"} added to “${existing.name}”.`);
      } else {
        await api.createAlbum(wanted, photos);
        notify(`Album “${wanted}” made with ${photos.length.toLocaleString()} ${photos.length === 1 ? "photo" : "photos"}.`);
      }
    });
    if (done) {
      setAdding(false);
      setTyped("");
      onDone();
    }
  };
  return (
    <div class="toolbar selection-bar" data-testid="selection-bar">
      <span data-testid="selection-count">{photos.length.toLocaleString()} selected</span>
      {adding ? (
        <SuggestInput autoFocus options={albums.map((a) => a.name)} value={typed} onInput={setTyped} onSubmit={add} onEscape={() => setAdding(false)} placeholder="An album, or a new name" testId="album-picker" />
      ) : (
        <button onClick={() => setAdding(true)} data-testid="add-to-album">Add to album…</button>
      )}
      {album && (
        <button onClick={() => perform(() => api.removeFromAlbum(album.id, photos), "Taken out of the album; the photos stay in your library.").then((ok) => ok && onDone())} data-testid="remove-from-album">
          Remove from album
        </button>
      )}
      <span class="spacer" />
      <button class="link" onClick={onDone}>Clear selection</button>
    </div>
  );
}
