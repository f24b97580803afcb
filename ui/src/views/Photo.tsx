// One photo with its faces boxed and named; a click on a box names or corrects that face.
import { useEffect, useState } from "preact/hooks";
import { api, photoUrl } from "../api";
import type { PhotoDetail } from "../bindings/PhotoDetail";
import type { PhotoFace } from "../bindings/PhotoFace";
import { PersonPicker, targetFor } from "../components/PersonPicker";
import { perform, reportError, useAppState } from "../store";

/** A face box as percentages of the upright photo, so it follows the image at any size. */
export function boxStyle(face: PhotoFace, width: number, height: number) {
  const pct = (v: number, of: number) => `${((100 * v) / Math.max(1, of)).toFixed(3)}%`;
  return { left: pct(face.x, width), top: pct(face.y, height), width: pct(face.w, width), height: pct(face.h, height) };
}

/** The photos before and after `id` in the grid it was opened from. */
export function neighbours(browsing: number[], id: number): { previous: number | null; next: number | null } {
  const at = browsing.indexOf(id);
  if (at < 0) return { previous: null, next: null };
  return { previous: at > 0 ? browsing[at - 1] : null, next: at + 1 < browsing.length ? browsing[at + 1] : null };
}

export function PhotoView({ id }: { id: number }) {
  const { revision, browsing } = useAppState();
  const [photo, setPhoto] = useState<PhotoDetail | null>(null);
  const [active, setActive] = useState<number | null>(null);
  useEffect(() => {
    setActive(null);
    api.photoDetail(id).then(setPhoto).catch(reportError);
  }, [id, revision]);
  const { previous, next } = neighbours(browsing, id);
  useEffect(() => {
    // Arrow keys step through the grid the photo came from (replacing, so Back returns to it).
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement) return;
      const to = e.key === "ArrowLeft" ? previous : e.key === "ArrowRight" ? next : null;
      if (to !== null) location.replace(`#/photo/${to}`);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [previous, next]);
  if (!photo) return <section class="view" data-testid="photo-view">Loading…</section>;
  const face = photo.faces.find((f) => f.id === active) ?? null;
  const act = async (work: () => Promise<unknown>, message: string) => {
    if (await perform(work, message)) setActive(null);
  };
  return (
    <section class="view photo" data-testid="photo-view">
      <header class="view-header">
        <button class="link" onClick={() => history.back()}>← Back</button>
        <h1 title={photo.path}>{photo.fileName}</h1>
        <p class="muted">
          {photo.takenAt ? new Date(photo.takenAt).toLocaleString() : "date unknown"} · {photo.faces.length} {photo.faces.length === 1 ? "face" : "faces"}
        </p>
        <span class="spacer" />
        <button disabled={previous === null} onClick={() => previous !== null && location.replace(`#/photo/${previous}`)} title="Previous (←)">‹</button>
        <button disabled={next === null} onClick={() => next !== null && location.replace(`#/photo/${next}`)} title="Next (→)">›</button>
      </header>
      <div class="photo-stage">
        <div class="photo-frame" style={{ aspectRatio: `${Math.max(1, photo.width)} / ${Math.max(1, photo.height)}` }}>
          <img src={photoUrl(photo.id)} alt={photo.fileName} data-testid="photo-image" />
          {photo.faces.map((f) => (
            <button key={f.id} class={`face-box${f.placement === "user" ? " confirmed" : ""}${f.id === active ? " active" : ""}`} style={boxStyle(f, photo.width, photo.height)} onClick={() => setActive(f.id === active ? null : f.id)} data-testid="face-box" data-face-id={f.id}>
              <span class="face-label">{f.personName ?? (f.personId !== null ? "Unnamed" : "?")}</span>
            </button>
          ))}
        </div>
        {face && (
          <aside class="face-panel" data-testid="face-panel">
            <h2>{face.personName ?? "Who is this?"}</h2>
            {face.personId !== null && (
              <p>
                <a href={`#/person/${face.personId}`}>Open {face.personName ?? "this group"}</a>
              </p>
            )}
            <PersonPicker key={face.id} placeholder={face.personName ? "Someone else?" : "Name this face"} onPick={(pick) => act(() => api.moveFaces([face.id], targetFor(pick)), "Named.")} />
            <div class="toolbar">
              {face.personId !== null && (
                <button onClick={() => act(() => api.removeFace(face.id), "Kindred will not put this face with them again.")}>Not {face.personName ?? "this person"}</button>
              )}
              <button onClick={() => act(() => api.notAFace(face.id), "Marked as not a face.")}>Not a face</button>
            </div>
          </aside>
        )}
      </div>
    </section>
  );
}
