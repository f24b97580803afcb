// One photo with its faces boxed and named; a click on a box names or corrects that face, and
// a face Kindred missed can be drawn (it is then named like any other).
import { useEffect, useRef, useState } from "preact/hooks";
import { api, photoUrl } from "../api";
import type { PhotoDetail } from "../bindings/PhotoDetail";
import type { PhotoFace } from "../bindings/PhotoFace";
import { PersonPicker, targetFor } from "../components/PersonPicker";
import { perform, reportError, setState, useAppState } from "../store";

/** A face box as percentages of the upright photo, so it follows the image at any size. */
export function boxStyle(face: { x: number; y: number; w: number; h: number }, width: number, height: number) {
  const pct = (v: number, of: number) => `${((100 * v) / Math.max(1, of)).toFixed(3)}%`;
  return { left: pct(face.x, width), top: pct(face.y, height), width: pct(face.w, width), height: pct(face.h, height) };
}

/** The photos before and after `id` in the grid it was opened from. */
export function neighbours(browsing: number[], id: number): { previous: number | null; next: number | null } {
  const at = browsing.indexOf(id);
  if (at < 0) return { previous: null, next: null };
  return { previous: at > 0 ? browsing[at - 1] : null, next: at + 1 < browsing.length ? browsing[at + 1] : null };
}

/** A box dragged on the shown picture (its pixels, from two corners), in pixels of the photo. */
export function toPhotoBox(a: { x: number; y: number }, b: { x: number; y: number }, shown: { width: number; height: number }, photo: { width: number; height: number }) {
  const sx = photo.width / Math.max(1, shown.width);
  const sy = photo.height / Math.max(1, shown.height);
  const clamp = (v: number, most: number) => Math.min(Math.max(v, 0), most);
  const left = clamp(Math.min(a.x, b.x), shown.width) * sx;
  const top = clamp(Math.min(a.y, b.y), shown.height) * sy;
  const right = clamp(Math.max(a.x, b.x), shown.width) * sx;
  const bottom = clamp(Math.max(a.y, b.y), shown.height) * sy;
  return { x: left, y: top, w: right - left, h: bottom - top };
}

/** Where previous and next lead: the grid's photos, or the listing (timeline) around `index`. */
function useNeighbours(id: number) {
  const { browsing, browsingQuery } = useAppState();
  const [around, setAround] = useState<{ previous: number | null; next: number | null }>({ previous: null, next: null });
  useEffect(() => {
    if (!browsingQuery) return setAround(neighbours(browsing, id));
    const { query, index } = browsingQuery;
    const from = Math.max(0, index - 1);
    api
      .photoPage(query, from, index === 0 ? 2 : 3)
      .then((page) => {
        const ids = page.photos.map((p) => p.id);
        const at = ids.indexOf(id);
        setAround(at < 0 ? { previous: null, next: null } : { previous: at > 0 ? ids[at - 1] : null, next: at + 1 < ids.length ? ids[at + 1] : null });
      })
      .catch(() => setAround({ previous: null, next: null }));
  }, [id, browsing, browsingQuery?.query, browsingQuery?.index]);
  const step = (to: number | null, delta: number) => {
    if (to === null) return;
    if (browsingQuery) setState({ browsingQuery: { ...browsingQuery, index: browsingQuery.index + delta } });
    // Replacing, so that Back returns to the grid.
    location.replace(`#/photo/${to}`);
  };
  return { ...around, goPrevious: () => step(around.previous, -1), goNext: () => step(around.next, 1) };
}

export function PhotoView({ id }: { id: number }) {
  const { revision } = useAppState();
  const [photo, setPhoto] = useState<PhotoDetail | null>(null);
  const [active, setActive] = useState<number | null>(null);
  const [drawing, setDrawing] = useState(false);
  const [box, setBox] = useState<{ a: { x: number; y: number }; b: { x: number; y: number } } | null>(null);
  const [saving, setSaving] = useState(false);
  const frame = useRef<HTMLDivElement>(null);
  useEffect(() => {
    api.photoDetail(id).then(setPhoto).catch(reportError);
  }, [id, revision]);
  useEffect(() => {
    setActive(null);
    setDrawing(false);
  }, [id]);
  const { previous, next, goPrevious, goNext } = useNeighbours(id);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "ArrowLeft") goPrevious();
      else if (e.key === "ArrowRight") goNext();
      else if (e.key === "Escape") {
        if (drawing) setDrawing(false);
        else if (active !== null) setActive(null);
        else history.back();
      } else if (e.key === "d") setDrawing((d) => !d);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [previous, next, drawing, active]);
  if (!photo) return <section class="view" data-testid="photo-view">Loading…</section>;
  const face = photo.faces.find((f) => f.id === active) ?? null;
  const act = async (work: () => Promise<unknown>, message: string) => {
    if (await perform(work, message)) setActive(null);
  };

  const point = (e: PointerEvent) => {
    const rect = frame.current!.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  };
  const finishDrawing = async () => {
    const element = frame.current;
    if (!box || !element) return;
    const rect = element.getBoundingClientRect();
    const drawn = toPhotoBox(box.a, box.b, { width: rect.width, height: rect.height }, photo);
    setBox(null);
    if (drawn.w < 8 || drawn.h < 8) return;
    setSaving(true);
    try {
      const made = await api.drawFace(photo.id, drawn);
      setDrawing(false);
      setPhoto(await api.photoDetail(photo.id));
      setActive(made);
      setState({ notice: { text: "Face added. Who is it?", error: false } });
    } catch (error) {
      reportError(error);
    } finally {
      setSaving(false);
    }
  };
  const shownBox = box && frame.current ? toPhotoBox(box.a, box.b, { width: frame.current.clientWidth, height: frame.current.clientHeight }, photo) : null;

  return (
    <section class="view photo" data-testid="photo-view">
      <header class="view-header">
        <button class="link" onClick={() => history.back()}>← Back</button>
        <h1 title={photo.path}>{photo.fileName}</h1>
        <p class="muted">
          {photo.takenAt ? new Date(photo.takenAt).toLocaleString() : "date unknown"} · {photo.faces.length} {photo.faces.length === 1 ? "face" : "faces"}
        </p>
        <span class="spacer" />
        <button class={drawing ? "active" : ""} onClick={() => setDrawing(!drawing)} title="Draw a box around a face Kindred missed (D)" data-testid="draw-face">
          {saving ? "Adding the face…" : drawing ? "Drag over the face…" : "Add a face"}
        </button>
        <button disabled={previous === null} onClick={goPrevious} title="Previous (←)" data-testid="previous-photo">‹</button>
        <button disabled={next === null} onClick={goNext} title="Next (→)" data-testid="next-photo">›</button>
      </header>
      <div class="photo-stage">
        <div
          class={`photo-frame${drawing ? " drawing" : ""}`}
          ref={frame}
          style={{ aspectRatio: `${Math.max(1, photo.width)} / ${Math.max(1, photo.height)}` }}
          onPointerDown={(e) => {
            if (!drawing || e.button !== 0) return;
            e.preventDefault();
            frame.current?.setPointerCapture?.(e.pointerId);
            const p = point(e);
            setBox({ a: p, b: p });
          }}
          onPointerMove={(e) => box && setBox({ ...box, b: point(e) })}
          onPointerUp={() => finishDrawing()}
          data-testid="photo-frame"
        >
          <img src={photoUrl(photo.id)} alt={photo.fileName} data-testid="photo-image" draggable={false} />
          {photo.faces.map((f) => (
            <FaceBox key={f.id} face={f} photo={photo} active={f.id === active} onClick={() => !drawing && setActive(f.id === active ? null : f.id)} />
          ))}
          {shownBox && <div class="face-box drawing-box" style={boxStyle(shownBox, photo.width, photo.height)} data-testid="drawing-box" />}
        </div>
        {face && (
          <aside class="face-panel" data-testid="face-panel">
            <h2>{face.personName ?? "Who is this?"}</h2>
            {face.drawn && <p class="muted small">You drew this face.</p>}
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

function FaceBox({ face, photo, active, onClick }: { face: PhotoFace; photo: PhotoDetail; active: boolean; onClick: () => void }) {
  return (
    <button class={`face-box${face.placement === "user" ? " confirmed" : ""}${face.drawn ? " drawn" : ""}${active ? " active" : ""}`} style={boxStyle(face, photo.width, photo.height)} onClick={onClick} data-testid="face-box" data-face-id={face.id}>
      <span class="face-label">{face.personName ?? (face.personId !== null ? "Unnamed" : "?")}</span>
    </button>
  );
}
