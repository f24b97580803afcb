// One person: their photos (newest first), their faces with corrections, and the
// "is this X?" questions about them.
import { useEffect, useRef, useState } from "preact/hooks";
import { ageAt } from "../age";
import { api } from "../api";
import type { PersonCard } from "../bindings/PersonCard";
import type { PersonDetail } from "../bindings/PersonDetail";
import type { ReviewQuestion } from "../bindings/ReviewQuestion";
import { PersonPicker, targetFor } from "../components/PersonPicker";
import { PhotoGrid, usePhotoPages } from "../components/PhotoGrid";
import { FaceImage, ReviewFaces } from "../components/Pictures";
import { useSelection } from "../components/selection";
import { VirtualGrid } from "../components/VirtualGrid";
import { go } from "../router";
import { libraryChanged, perform, reportError, useAppState } from "../store";

type Tab = "photos" | "faces" | "review";

export function PersonView({ id }: { id: number }) {
  const { revision } = useAppState();
  const [detail, setDetail] = useState<PersonDetail | null>(null);
  const [tab, setTab] = useState<Tab>("photos");
  const [rename, setRename] = useState<string | null>(null);
  const [birth, setBirth] = useState<string | null>(null);

  useEffect(() => {
    api.personDetail(id).then(setDetail).catch((error) => {
      reportError(error);
      go({ view: "people" });
    });
  }, [id, revision]);

  if (!detail) return <section class="view" data-testid="person-view">Loading…</section>;
  const person = detail.person;
  const saveName = async () => {
    if (rename === null || !rename.trim()) return setRename(null);
    const name = rename.trim();
    if (await perform(() => api.namePerson(person.id, name))) setRename(null);
  };
  const saveBirth = async (date: string | null) => {
    const message = date ? "Birth date saved: photos taken before it are no longer theirs." : "Birth date removed.";
    if (await perform(() => api.setBirthDate(person.id, date), message)) setBirth(null);
  };

  return (
    <section class="view person" data-testid="person-view">
      <header class="view-header person-header">
        <div class="avatar"><FaceImage face={person.coverFace} /></div>
        <div>
          {rename === null ? (
            <h1 data-testid="person-title" onDblClick={() => setRename(person.name ?? "")} title="Double-click to rename">
              {person.name ?? "Unnamed"}
            </h1>
          ) : (
            <form onSubmit={(e) => (e.preventDefault(), saveName())}>
              <input autoFocus value={rename} onInput={(e) => setRename(e.currentTarget.value)} onBlur={saveName} data-testid="rename-input" />
            </form>
          )}
          <p class="muted">
            {person.photos.toLocaleString()} photos · {person.faces.toLocaleString()} faces, {person.confirmed.toLocaleString()} confirmed by you
          </p>
          {birth === null ? (
            <p class="muted" data-testid="birth-date">
              {person.birthDate ? `Born ${person.birthDate} · ` : ""}
              <button class="link" onClick={() => setBirth(person.birthDate ?? "")} data-testid="edit-birth-date">
                {person.birthDate ? "Change" : "Add birth date"}
              </button>
            </p>
          ) : (
            <form onSubmit={(e) => (e.preventDefault(), saveBirth(birth || null))} data-testid="birth-date-form">
              <input type="date" value={birth} onInput={(e) => setBirth(e.currentTarget.value)} data-testid="birth-date-input" />
              <button type="submit">Save</button>
              {person.birthDate && (
                <button type="button" onClick={() => saveBirth(null)}>
                  Remove
                </button>
              )}
              <button type="button" onClick={() => setBirth(null)}>
                Cancel
              </button>
            </form>
          )}
        </div>
        <span class="spacer" />
        <button onClick={() => setRename(person.name ?? "")}>{person.name ? "Rename" : "Name"}</button>
        <button onClick={() => perform(() => api.setHidden(person.id, !person.hidden))}>{person.hidden ? "Unhide" : "Hide"}</button>
      </header>
      <div class="subtabs">
        {(["photos", "faces", "review"] as Tab[]).map((t) => (
          <button key={t} class={tab === t ? "active" : ""} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
            {t === "photos" ? "Photos" : t === "faces" ? "Faces" : "Is this them?"}
          </button>
        ))}
      </div>
      {tab === "photos" && <PersonPhotos person={person} revision={revision} />}
      {tab === "faces" && <PersonFaces detail={detail} />}
      {tab === "review" && person.name !== null && <ReviewQueue person={person} />}
      {tab === "review" && person.name === null && <p class="muted">Name this group first; then Kindred asks about faces that may be them.</p>}
    </section>
  );
}

function PersonPhotos({ person, revision }: { person: PersonCard; revision: number }) {
  const { photos, loadMore } = usePhotoPages((offset, limit) => api.personPhotos(person.id, offset, limit), [person.id, revision]);
  return <PhotoGrid photos={photos} loadMore={loadMore} testId="person-photos" caption={(photo) => ageAt(person.birthDate, photo.takenAt)} />;
}

function PersonFaces({ detail }: { detail: PersonDetail }) {
  const selection = useSelection<number>();
  const dragBase = useRef<Set<number>>(new Set());
  const [moving, setMoving] = useState(false);
  const faces = detail.faces;
  const keyOf = (index: number) => faces[index]?.id;
  const act = async (work: () => Promise<unknown>, message: string) => {
    if (await perform(work, message)) {
      selection.clear();
      setMoving(false);
    }
  };
  const ids = [...selection.selected];
  return (
    <>
      <div class="toolbar">
        <span class="muted" data-testid="faces-selected">{ids.length > 0 ? `${ids.length} selected` : "Select faces to correct them (Shift-click or drag for many)"}</span>
        <span class="spacer" />
        <button disabled={!ids.length} onClick={() => act(() => api.removeFaces(ids), "Removed; Kindred will not put those faces here again.")} data-testid="not-this-person">
          Not this person
        </button>
        <button disabled={!ids.length} onClick={() => act(() => api.notFaces(ids), "Marked as not faces.")} data-testid="not-a-face">Not a face</button>
        <button disabled={ids.length !== 1} onClick={() => act(() => api.setCover(detail.person.id, ids[0]), "Cover changed.")}>Use as cover</button>
        <button disabled={!ids.length} onClick={() => setMoving(true)}>Move to…</button>
        {moving && (
          <PersonPicker
            placeholder="Someone else, or a new name"
            onPick={(pick) => act(() => api.moveFaces(ids, targetFor(pick)), "Moved.")}
            onCancel={() => setMoving(false)}
          />
        )}
      </div>
      <VirtualGrid
        testId="person-faces"
        items={faces}
        cellWidth={140}
        cellHeight={150}
        itemKey={(f) => f.id}
        onActivate={(_, index) => selection.click(index, { shift: false, toggle: true }, keyOf)}
        onSelect={(index, modifiers) => selection.click(index, modifiers, keyOf)}
        onDragSelect={(indices, additive, phase) => {
          if (phase === "start") dragBase.current = new Set(selection.selected);
          selection.drag(dragBase.current, indices, additive, keyOf);
        }}
        render={(face, index) => (
          <div class={`face-tile${selection.selected.has(face.id) ? " selected" : ""}`} title={face.placement === "user" ? "Confirmed by you" : face.placement === "match" ? "Recognised" : "Grouped"} data-testid="face-tile" data-face-id={face.id}>
            <FaceImage face={face.id} />
            <input type="checkbox" checked={selection.selected.has(face.id)} onChange={() => selection.click(index, { shift: false, toggle: true }, keyOf)} aria-label="Select" />
            <span class={`placement ${face.placement}`}>{face.placement === "user" ? "✓" : ""}</span>
          </div>
        )}
      />
    </>
  );
}

/** The questions about this person, answered with y, n or s (skip). */
export function ReviewQueue({ person }: { person: PersonCard }) {
  const [questions, setQuestions] = useState<ReviewQuestion[] | null>(null);
  const [index, setIndex] = useState(0);
  const load = () =>
    api
      .reviewQueueAbout(person.id, 500)
      .then((about) => {
        setQuestions(about);
        setIndex(0);
      })
      .catch(reportError);
  useEffect(() => void load(), [person.id]);

  const question = questions?.[index];
  const answer = async (yes: boolean | null) => {
    if (!question) return;
    if (yes === null) return setIndex(index + 1);
    try {
      await api.answerReview(question, yes);
      setQuestions((qs) => (qs ? qs.filter((q) => q !== question) : qs));
      libraryChanged();
    } catch (error) {
      reportError(error);
    }
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement) return;
      if (e.key === "y") answer(true);
      else if (e.key === "n") answer(false);
      else if (e.key === "s") answer(null);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  if (questions === null) return <p class="muted">Loading…</p>;
  if (!question) return <p class="muted" data-testid="review-done">No more questions about {person.name}.</p>;
  return (
    <div class="review" data-testid="review">
      <ReviewFaces question={question} onOpenGroup={(id) => go({ view: "person", id })} />
      <p class="review-question">
        Is this {person.name}?{question.faces > 1 ? ` (${question.faces} faces)` : ""}
      </p>
      <div class="toolbar">
        <button onClick={() => answer(true)}><kbd>Y</kbd> Yes</button>
        <button onClick={() => answer(false)}><kbd>N</kbd> No</button>
        <button onClick={() => answer(null)}><kbd>S</kbd> Skip</button>
      </div>
      <p class="muted small">{questions.length - index - 1} more after this one</p>
    </div>
  );
}
