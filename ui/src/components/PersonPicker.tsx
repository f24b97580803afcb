// Type a name: an existing person is picked, a new name makes a new person.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { MoveTarget } from "../bindings/MoveTarget";
import type { PersonCard } from "../bindings/PersonCard";

export type Pick = { person: PersonCard } | { newName: string };

/** The named person whose name is `typed` (ignoring case and spaces), if any. */
export function findByName(people: PersonCard[], typed: string): PersonCard | undefined {
  const wanted = typed.trim().toLocaleLowerCase();
  return people.find((p) => p.name !== null && p.name.trim().toLocaleLowerCase() === wanted);
}

export function targetFor(pick: Pick): MoveTarget {
  return "person" in pick ? { kind: "person", id: pick.person.id } : { kind: "new_person", name: pick.newName };
}

let pickerCount = 0;

export function PersonPicker({ onPick, onCancel, placeholder, initial = "" }: { onPick: (pick: Pick) => void; onCancel?: () => void; placeholder: string; initial?: string }) {
  const [people, setPeople] = useState<PersonCard[]>([]);
  const [typed, setTyped] = useState(initial);
  const [listId] = useState(() => `people-${++pickerCount}`);
  useEffect(() => {
    api.listPeople(true).then((all) => setPeople(all.filter((p) => p.name !== null))).catch(() => setPeople([]));
  }, []);
  return (
    <form
      class="inline picker"
      onSubmit={(e) => {
        e.preventDefault();
        const name = typed.trim();
        if (!name) return;
        const person = findByName(people, name);
        onPick(person ? { person } : { newName: name });
      }}
    >
      <input autoFocus list={listId} placeholder={placeholder} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} onKeyDown={(e) => e.key === "Escape" && onCancel?.()} data-testid="person-picker" />
      <datalist id={listId}>
        {people.map((p) => (
          <option key={p.id} value={p.name ?? ""} />
        ))}
      </datalist>
      <button type="submit">OK</button>
      {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
    </form>
  );
}
