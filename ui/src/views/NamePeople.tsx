// Naming people, keyboard only: the largest unnamed groups one after another (a mosaic of
// each; type a name, with completion, or a person's name to add the group to them; Escape
// skips), then "Is this Anna?" questions across everyone, most useful first (y, n, s). A
// running count says how many faces the session has settled.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { GroupToName } from "../bindings/GroupToName";
import type { PersonCard } from "../bindings/PersonCard";
import type { ReviewQuestion } from "../bindings/ReviewQuestion";
import { findByName } from "../components/PersonPicker";
import { FaceImage, ReviewFaces } from "../components/Pictures";
import { SuggestInput } from "../components/SuggestInput";
import { go } from "../router";
import { libraryChanged, reportError } from "../store";

/** Faces shown for each group. */
export const MOSAIC = 12;
const GROUPS_PAGE = 20;

type Mode = "groups" | "review";

export function NamePeopleView() {
  const [mode, setMode] = useState<Mode>("groups");
  const [settled, setSettled] = useState(0);
  return (
    <section class="view name-people" data-testid="name-people-view">
      <header class="view-header">
        <h1>Name people</h1>
        <p class="muted" data-testid="settled-count">
          {settled.toLocaleString()} {settled === 1 ? "face" : "faces"} settled
        </p>
      </header>
      <div class="subtabs">
        <button class={mode === "groups" ? "active" : ""} onClick={() => setMode("groups")} data-testid="mode-groups">Unnamed groups</button>
        <button class={mode === "review" ? "active" : ""} onClick={() => setMode("review")} data-testid="mode-review">Is this them?</button>
      </div>
      {mode === "groups" ? <NameGroups onSettled={(n) => setSettled((s) => s + n)} onDone={() => setMode("review")} /> : <ReviewAll onSettled={(n) => setSettled((s) => s + n)} />}
    </section>
  );
}

function NameGroups({ onSettled, onDone }: { onSettled: (faces: number) => void; onDone: () => void }) {
  const [groups, setGroups] = useState<GroupToName[] | null>(null);
  const [offset, setOffset] = useState(0);
  const [index, setIndex] = useState(0);
  const [named, setNamed] = useState<PersonCard[]>([]);
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [exhausted, setExhausted] = useState(false);

  const loadNamed = () => api.namedPeople(true).then(setNamed).catch(reportError);
  // Groups skipped stay unnamed: the next page starts after them.
  const load = (from: number) =>
    api
      .groupsToName(from, GROUPS_PAGE, MOSAIC)
      .then((page) => {
        setGroups(page);
        setOffset(from);
        setIndex(0);
        setExhausted(page.length < GROUPS_PAGE);
      })
      .catch(reportError);
  useEffect(() => {
    loadNamed();
    load(0);
  }, []);

  const group = groups?.[index];
  const skipped = offset + index;
  const next = (settledHere: boolean) => {
    if (!groups) return;
    setTyped("");
    // A named group leaves the list of unnamed ones; a skipped one stays before the next page.
    const remaining = groups.filter((_, i) => !(settledHere && i === index));
    const nextIndex = settledHere ? index : index + 1;
    if (nextIndex < remaining.length) {
      setGroups(remaining);
      setIndex(nextIndex);
    } else if (!exhausted) {
      load(offset + nextIndex);
    } else {
      setGroups(remaining);
      setIndex(nextIndex);
    }
  };
  const name = async (text: string) => {
    const wanted = text.trim();
    if (!group || busy) return;
    if (!wanted) return next(false);
    setBusy(true);
    try {
      const person = findByName(named, wanted);
      if (person) await api.mergePeople(person.id, [group.group.id]);
      else await api.namePerson(group.group.id, wanted);
      onSettled(group.group.faces);
      libraryChanged();
      await loadNamed();
      next(true);
    } catch (error) {
      reportError(error);
    } finally {
      setBusy(false);
    }
  };

  if (groups === null) return <p class="muted">Loading…</p>;
  if (!group) {
    return (
      <div class="review-done" data-testid="groups-done">
        <p class="muted">No more unnamed groups{skipped > 0 ? ` (${skipped.toLocaleString()} skipped)` : ""}.</p>
        <button onClick={onDone}>Answer “Is this them?” questions</button>
      </div>
    );
  }
  return (
    <div class="name-group" data-testid="name-group" data-group-id={group.group.id}>
      <div class="mosaic" data-testid="mosaic">
        {group.faces.map((face) => (
          <div class="mosaic-face" key={face}>
            <FaceImage face={face} />
          </div>
        ))}
      </div>
      <p class="muted">
        {group.group.faces.toLocaleString()} {group.group.faces === 1 ? "face" : "faces"} in {group.group.photos.toLocaleString()} {group.group.photos === 1 ? "photo" : "photos"} · group {skipped + 1}
      </p>
      <form class="inline" onSubmit={(e) => (e.preventDefault(), name(typed))}>
        <SuggestInput autoFocus options={named.map((p) => p.name ?? "")} value={typed} onInput={setTyped} onSubmit={name} onEscape={() => next(false)} placeholder="Who is this? (a new name, or someone named)" testId="group-name" />
      </form>
      <p class="muted small">
        <kbd>Enter</kbd> names the group (a person's name adds it to them) · <kbd>↓</kbd> <kbd>↑</kbd> <kbd>Tab</kbd> choose a name · <kbd>Esc</kbd> or an empty <kbd>Enter</kbd> skips
      </p>
      <div class="toolbar">
        <button onClick={() => name(typed)} disabled={busy || !typed.trim()} data-testid="group-name-save">Name</button>
        <button onClick={() => next(false)} data-testid="group-skip">Skip</button>
      </div>
    </div>
  );
}

/** "Is this X?" across everyone, the most useful first: y, n, s (skip). */
function ReviewAll({ onSettled }: { onSettled: (faces: number) => void }) {
  const [questions, setQuestions] = useState<ReviewQuestion[] | null>(null);
  const [index, setIndex] = useState(0);
  const [answered, setAnswered] = useState(0);
  const load = () =>
    api
      .reviewQueue(50)
      .then((qs) => {
        setQuestions(qs);
        setIndex(0);
      })
      .catch(reportError);
  useEffect(() => void load(), []);

  const question = questions?.[index];
  const answer = async (yes: boolean | null) => {
    if (!question || !questions) return;
    if (yes !== null) {
      try {
        await api.answerReview(question, yes);
        onSettled(question.faces);
        setAnswered((n) => n + 1);
        libraryChanged();
      } catch (error) {
        // A question an earlier answer already settled: on to the next.
        reportError(error);
      }
    }
    // Answers change what the next questions should be: the queue is asked again when the
    // page of questions runs out.
    if (index + 1 < questions.length) setIndex(index + 1);
    else load();
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "y") answer(true);
      else if (e.key === "n") answer(false);
      else if (e.key === "s") answer(null);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  if (questions === null) return <p class="muted">Loading…</p>;
  if (!question) return <p class="muted" data-testid="review-done">No more questions: name a few more people, or every suggestion is clear.</p>;
  return (
    <div class="review" data-testid="review">
      <div class="review-pair">
        <ReviewFaces question={question} onOpenGroup={(id) => go({ view: "person", id })} />
      </div>
      <p class="review-question" data-testid="review-question">
        Is this {question.personName}?{question.subject === "group" && question.faces > 1 ? ` (${question.faces} faces)` : ""}
      </p>
      <div class="toolbar">
        <button onClick={() => answer(true)}><kbd>Y</kbd> Yes</button>
        <button onClick={() => answer(false)}><kbd>N</kbd> No</button>
        <button onClick={() => answer(null)}><kbd>S</kbd> Skip</button>
      </div>
      <p class="muted small">{answered.toLocaleString()} answered this time</p>
    </div>
  );
}
