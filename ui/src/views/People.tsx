// Everyone Kindred found: named people first, then unnamed groups, largest first.
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, faceUrl } from "../api";
import type { PersonCard } from "../bindings/PersonCard";
import { VirtualGrid } from "../components/VirtualGrid";
import { go } from "../router";
import { notify, perform, reportError, useAppState } from "../store";

/** Named people alphabetically, then unnamed groups by size. */
export function orderPeople(people: PersonCard[]): PersonCard[] {
  return [...people].sort((a, b) => {
    if ((a.name === null) !== (b.name === null)) return a.name === null ? 1 : -1;
    if (a.name !== null && b.name !== null) return a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: "base" });
    return b.faces - a.faces || a.id - b.id;
  });
}

export function matchesFilter(person: PersonCard, filter: string): boolean {
  const wanted = filter.trim().toLocaleLowerCase();
  if (!wanted) return true;
  return (person.name ?? "unnamed").toLocaleLowerCase().includes(wanted);
}

/** Load time of the last People listing (command + render), for measuring. */
function markLoaded(started: number) {
  requestAnimationFrame(() => {
    document.body.dataset.peopleLoadMs = String(Math.round(performance.now() - started));
  });
}

export function PeopleView() {
  const { revision } = useAppState();
  const [people, setPeople] = useState<PersonCard[] | null>(null);
  const [showHidden, setShowHidden] = useState(false);
  const [filter, setFilter] = useState("");
  const [selected, setSelected] = useState<Set<number>>(new Set());

  useEffect(() => {
    const started = performance.now();
    api
      .listPeople(showHidden)
      .then((list) => {
        setPeople(orderPeople(list));
        markLoaded(started);
      })
      .catch(reportError);
  }, [revision, showHidden]);

  const shown = useMemo(() => (people ?? []).filter((p) => matchesFilter(p, filter)), [people, filter]);
  const toggle = (id: number) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const act = async (work: () => Promise<unknown>, message?: string) => {
    if (await perform(work, message)) setSelected(new Set());
  };
  const chosen = (people ?? []).filter((p) => selected.has(p.id));
  // Merging keeps a named person when there is one, else the largest group.
  // A mixed selection is hidden; one of hidden people only is shown again.
  const allHidden = chosen.length > 0 && chosen.every((p) => p.hidden);
  const mergeInto = chosen.find((p) => p.name !== null) ?? [...chosen].sort((a, b) => b.faces - a.faces)[0];

  return (
    <section class="view people" data-testid="people-view">
      <header class="view-header">
        <h1>People</h1>
        <p class="muted" data-testid="people-count">
          {people === null ? "Loading…" : `${people.filter((p) => p.name).length.toLocaleString()} named, ${people.filter((p) => !p.name).length.toLocaleString()} unnamed groups`}
        </p>
      </header>
      <div class="toolbar">
        <input type="search" placeholder="Find a person" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} data-testid="people-filter" />
        <label><input type="checkbox" checked={showHidden} onChange={(e) => setShowHidden(e.currentTarget.checked)} /> Show hidden</label>
        <span class="spacer" />
        {selected.size > 0 && <span class="muted">{selected.size} selected</span>}
        <button disabled={selected.size < 2} data-testid="merge" onClick={() => act(() => api.mergePeople(mergeInto.id, chosen.map((p) => p.id)), "Merged.")}>
          Merge
        </button>
        <button disabled={selected.size === 0} onClick={() => act(() => Promise.all(chosen.map((p) => api.setHidden(p.id, !allHidden))))}>
          {allHidden ? "Unhide" : "Hide"}
        </button>
        <button onClick={() => act(async () => notify((await api.undo()) ? "Undone." : "Nothing to undo."))}>Undo</button>
      </div>
      {people !== null && people.length === 0 ? (
        <p class="muted empty">No people yet. Add a folder in Library; faces are found right after the scan.</p>
      ) : (
        <VirtualGrid
          testId="people-grid"
          items={shown}
          cellWidth={180}
          cellHeight={236}
          itemKey={(p) => p.id}
          render={(person) => (
            <PersonTile person={person} selected={selected.has(person.id)} onToggle={() => toggle(person.id)} onName={(name) => act(() => api.namePerson(person.id, name))} />
          )}
        />
      )}
    </section>
  );
}

function PersonTile({ person, selected, onToggle, onName }: { person: PersonCard; selected: boolean; onToggle: () => void; onName: (name: string) => void }) {
  const [draft, setDraft] = useState("");
  return (
    <div class={`person-tile${selected ? " selected" : ""}${person.hidden ? " hidden-person" : ""}`} data-testid="person-tile" data-person-id={person.id}>
      <button class="face-button" onClick={(e) => (e.ctrlKey || e.metaKey ? onToggle() : go({ view: "person", id: person.id }))} title="Open (Ctrl-click to select)">
        {person.coverFace !== null ? <img src={faceUrl(person.coverFace)} alt="" loading="lazy" /> : <div class="no-face" />}
      </button>
      <input type="checkbox" class="select" checked={selected} onChange={onToggle} aria-label="Select" />
      {person.name !== null ? (
        <div class="person-name" data-testid="person-name">{person.name}</div>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (draft.trim()) onName(draft.trim());
          }}
        >
          <input class="name-input" placeholder="Add a name" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} data-testid="name-input" />
        </form>
      )}
      <div class="muted small">
        {person.photos.toLocaleString()} {person.photos === 1 ? "photo" : "photos"}
        {person.hidden ? " · hidden" : ""}
      </div>
    </div>
  );
}
