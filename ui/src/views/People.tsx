// Everyone Kindred found, at family scale: named people first, then unnamed groups by size;
// the many small groups (strangers seen once or twice) wait under "More" unless searched for.
// Pages load as the grid scrolls.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import type { PeoplePage } from "../bindings/PeoplePage";
import type { PeopleSection } from "../bindings/PeopleSection";
import type { PersonCard } from "../bindings/PersonCard";
import { FaceImage } from "../components/Pictures";
import { useSelection } from "../components/selection";
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

export const PEOPLE_PAGE = 200;
/** Groups with fewer photos than this wait under "More" (as the core lists them). */
export const SMALL_GROUP_PHOTOS = 3;

/** Load time of the first page of the People listing (command + render), for measuring. */
function markLoaded(started: number) {
  requestAnimationFrame(() => {
    document.body.dataset.peopleLoadMs = String(Math.round(performance.now() - started));
  });
}

/** The pages of one section of the listing, loaded one after another as the grid scrolls. */
function useSectionPages(section: PeopleSection, search: string, includeHidden: boolean, revision: number, enabled: boolean) {
  const key = JSON.stringify([section, search, includeHidden, revision]);
  const [state, setState] = useState<{ key: string; people: PersonCard[]; page: PeoplePage | null }>({ key, people: [], page: null });
  const current = state.key === key ? state : { key, people: [] as PersonCard[], page: null };
  const pending = useRef<string | null>(null);
  const offset = current.people.length;
  const more = current.page === null || offset < current.page.total;
  const loadMore = useCallback(() => {
    const token = `${key}@${offset}`;
    if (!enabled || !more || pending.current === token) return;
    pending.current = token;
    const started = performance.now();
    api
      .peoplePage({ includeHidden, search: search || null, section, offset, limit: PEOPLE_PAGE })
      .then((page) => {
        setState((previous) => {
          const base = previous.key === key ? previous : { key, people: [] as PersonCard[], page: null };
          if (base.people.length !== offset) return previous;
          return { key, people: [...base.people, ...page.people], page };
        });
        if (offset === 0) markLoaded(started);
      })
      .catch(reportError)
      .finally(() => {
        if (pending.current === token) pending.current = null;
      });
  }, [key, offset, more, enabled]);
  useEffect(() => {
    if (enabled && offset === 0) loadMore();
  }, [key, enabled]);
  return { people: current.people, page: current.page, more, loadMore };
}

type Tile = PersonCard | { more: number };

export function PeopleView() {
  const { revision } = useAppState();
  const [showHidden, setShowHidden] = useState(false);
  const [typed, setTyped] = useState("");
  const [search, setSearch] = useState("");
  const [expanded, setExpanded] = useState(false);
  const [hideBelow, setHideBelow] = useState(SMALL_GROUP_PHOTOS);
  const selection = useSelection<number>();
  const dragBase = useRef<Set<number>>(new Set());

  useEffect(() => {
    const timer = setTimeout(() => setSearch(typed.trim()), 200);
    return () => clearTimeout(timer);
  }, [typed]);
  const main = useSectionPages("main", search, showHidden, revision, true);
  const small = useSectionPages("more", "", showHidden, revision, expanded && !search && !main.more);
  const counts = main.page;
  const tiles: Tile[] = [...main.people];
  if (!search && !main.more) {
    if (expanded) tiles.push(...small.people);
    else if (counts && counts.smallGroups > 0) tiles.push({ more: counts.smallGroups });
  }
  const people = tiles.filter((t): t is PersonCard => "id" in t);
  const byId = new Map(people.map((p) => [p.id, p]));
  const chosen = [...selection.selected].map((id) => byId.get(id)).filter((p): p is PersonCard => p !== undefined);
  const keyOf = (index: number) => {
    const tile = tiles[index];
    return tile && "id" in tile ? tile.id : undefined;
  };
  const act = async (work: () => Promise<unknown>, message?: string) => {
    if (await perform(work, message)) selection.clear();
  };
  // Merging keeps a named person when there is one, else the largest group.
  // A mixed selection is hidden; one of hidden people only is shown again.
  const allHidden = chosen.length > 0 && chosen.every((p) => p.hidden);
  const mergeInto = chosen.find((p) => p.name !== null) ?? [...chosen].sort((a, b) => b.faces - a.faces)[0];
  const hideSmall = async () => {
    if (!confirm(`Hide every unnamed group with fewer than ${hideBelow} photos? One Undo shows them all again.`)) return;
    let hidden = 0;
    if (await perform(async () => void (hidden = await api.hideSmallGroups(hideBelow)))) notify(`${hidden.toLocaleString()} ${hidden === 1 ? "group" : "groups"} hidden; Undo shows them again.`);
  };

  return (
    <section class="view people" data-testid="people-view">
      <header class="view-header">
        <h1>People</h1>
        <p class="muted" data-testid="people-count">
          {counts === null ? "Loading…" : `${counts.named.toLocaleString()} named, ${counts.groups.toLocaleString()} unnamed groups`}
        </p>
        <span class="spacer" />
        <a href="#/name" class="button-link" data-testid="open-name-people">Name people…</a>
      </header>
      <div class="toolbar">
        <input type="search" placeholder="Find a person (a name, or a group's number)" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} data-testid="people-filter" />
        <label><input type="checkbox" checked={showHidden} onChange={(e) => setShowHidden(e.currentTarget.checked)} /> Show hidden</label>
        <span class="spacer" />
        {selection.selected.size > 0 && <span class="muted">{selection.selected.size} selected</span>}
        <button disabled={chosen.length < 2} data-testid="merge" onClick={() => act(() => api.mergePeople(mergeInto.id, chosen.map((p) => p.id)), "Merged.")}>
          Merge
        </button>
        <button disabled={chosen.length === 0} onClick={() => act(() => Promise.all(chosen.map((p) => api.setHidden(p.id, !allHidden))))}>
          {allHidden ? "Unhide" : "Hide"}
        </button>
        <button onClick={() => act(async () => notify((await api.undo()) ? "Undone." : "Nothing to undo."))}>Undo</button>
      </div>
      <div class="toolbar small">
        <label>
          Hide all unnamed groups with fewer than{" "}
          <input type="number" min={2} max={1000} value={hideBelow} onInput={(e) => setHideBelow(Math.max(2, Number(e.currentTarget.value) || SMALL_GROUP_PHOTOS))} data-testid="hide-below" /> photos
        </label>
        <button onClick={hideSmall} data-testid="hide-small">Hide them</button>
      </div>
      {counts !== null && counts.total === 0 && tiles.length === 0 ? (
        <p class="muted empty">{search ? `Nobody matches “${search}”.` : "No people yet. Add a folder in Library; faces are found right after the scan."}</p>
      ) : (
        <VirtualGrid
          testId="people-grid"
          items={tiles}
          cellWidth={180}
          cellHeight={236}
          itemKey={(t) => ("id" in t ? t.id : "more")}
          onNearEnd={() => (main.more ? main.loadMore() : expanded && small.loadMore())}
          onActivate={(tile, index) => {
            if (!("id" in tile)) return setExpanded(true);
            if (selection.selected.size > 0) selection.click(index, { shift: false, toggle: true }, keyOf);
            else go({ view: "person", id: tile.id });
          }}
          onSelect={(index, modifiers) => selection.click(index, modifiers, keyOf)}
          onDragSelect={(indices, additive, phase) => {
            if (phase === "start") dragBase.current = new Set(selection.selected);
            selection.drag(dragBase.current, indices, additive, keyOf);
          }}
          render={(tile) =>
            "id" in tile ? (
              <PersonTile person={tile} selected={selection.selected.has(tile.id)} onToggle={() => selection.click(tiles.indexOf(tile), { shift: false, toggle: true }, keyOf)} onName={(name) => act(() => api.namePerson(tile.id, name))} />
            ) : (
              <div class="person-tile more-tile" data-testid="more-tile" title="Groups of fewer than three photos: often strangers in the background">
                <div class="more-count">+{tile.more.toLocaleString()}</div>
                <div>More</div>
                <div class="muted small">small groups</div>
              </div>
            )
          }
        />
      )}
    </section>
  );
}

function PersonTile({ person, selected, onToggle, onName }: { person: PersonCard; selected: boolean; onToggle: () => void; onName: (name: string) => void }) {
  const [draft, setDraft] = useState("");
  return (
    <div class={`person-tile${selected ? " selected" : ""}${person.hidden ? " hidden-person" : ""}`} data-testid="person-tile" data-person-id={person.id}>
      <div class="face-button" title="Open (Ctrl-click or Shift-click to select)">
        <FaceImage face={person.coverFace} />
      </div>
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
