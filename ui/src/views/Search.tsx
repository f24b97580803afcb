// Photos with one person or several (all of them, or any), in a date range.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { PersonCard } from "../bindings/PersonCard";
import { findByName } from "../components/PersonPicker";
import { reportError, useAppState } from "../store";
import { PhotoGrid, usePhotoPages } from "../components/PhotoGrid";

export function SearchView() {
  const { revision } = useAppState();
  const [named, setNamed] = useState<PersonCard[]>([]);
  const [chosen, setChosen] = useState<PersonCard[]>([]);
  const [typed, setTyped] = useState("");
  const [matchAll, setMatchAll] = useState(true);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  useEffect(() => {
    api.listPeople(true).then((all) => setNamed(all.filter((p) => p.name !== null))).catch(reportError);
  }, [revision]);

  const ids = chosen.map((p) => p.id);
  const { photos, more, loadMore } = usePhotoPages(
    (offset, limit) =>
      ids.length === 0 ? Promise.resolve({ photos: [], more: false }) : api.searchPhotos({ people: ids, matchAll, from: from || null, to: to || null, offset, limit }),
    [ids.join(","), matchAll, from, to, revision],
  );
  const add = () => {
    const person = findByName(named, typed);
    if (!person) return reportError(`Nobody is named “${typed.trim()}”.`);
    if (!chosen.some((p) => p.id === person.id)) setChosen([...chosen, person]);
    setTyped("");
  };

  return (
    <section class="view search" data-testid="search-view">
      <header class="view-header">
        <h1>Search</h1>
      </header>
      <div class="toolbar">
        <form class="inline" onSubmit={(e) => (e.preventDefault(), add())}>
          <input list="search-people" placeholder="Add a person" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} data-testid="search-input" />
          <datalist id="search-people">
            {named.map((p) => (
              <option key={p.id} value={p.name ?? ""} />
            ))}
          </datalist>
          <button type="submit" data-testid="search-add">Add</button>
        </form>
        {chosen.map((p) => (
          <span class="chip" key={p.id} data-testid="search-chip">
            {p.name}
            <button class="link" aria-label={`Remove ${p.name}`} onClick={() => setChosen(chosen.filter((c) => c.id !== p.id))}>×</button>
          </span>
        ))}
        <span class="spacer" />
        <label>
          <select value={matchAll ? "all" : "any"} onChange={(e) => setMatchAll(e.currentTarget.value === "all")} data-testid="search-mode">
            <option value="all">with all of them</option>
            <option value="any">with any of them</option>
          </select>
        </label>
        <label>From <input type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} /></label>
        <label>To <input type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} /></label>
      </div>
      <p class="muted" data-testid="search-count">
        {chosen.length === 0 ? "Pick one or more people." : `${photos.length.toLocaleString()}${more ? "+" : ""} ${photos.length === 1 ? "photo" : "photos"}`}
      </p>
      <PhotoGrid photos={photos} loadMore={loadMore} testId="search-results" />
    </section>
  );
}
