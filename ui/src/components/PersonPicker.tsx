// Type a name: an existing person is picked, a new name makes a new person.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { MoveTarget } from "../bindings/MoveTarget";
import type { PersonCard } from "../bindings/PersonCard";
import { SuggestInput } from "./SuggestInput";

export type Pick = { person: PersonCard } | { newName: string };

/** The named person whose name is `typed` (ignoring case and spaces), if any. */
export function findByName(people: PersonCard[], typed: string): PersonCard | undefined {
  const wanted = typed.trim().toLocaleLowerCase();
  return people.find((p) => p.name !== null && p.name.trim().toLocaleLowerCase() === wanted);
}

export function targetFor(pick: Pick): MoveTarget {
  return "person" in pick ? { kind: "person", id: pick.person.id } : { kind: "new_person", name: pick.newName };
}

export function PersonPicker({ onPick, onCancel, placeholder, initial = "" }: { onPick: (pick: Pick) => void; onCancel?: () => void; placeholder: string; initial?: string }) {
  const [people, setPeople] = useState<PersonCard[]>([]);
  const [typed, setTyped] = useState(initial);
  useEffect(() => {
    api.namedPeople(true).then(setPeople).catch(() => setPeople([]));
  }, []);
  const pick = (text: string) => {
    const name = text.trim();
    if (!name) return;
    const person = findByName(people, name);
    onPick(person ? { person } : { newName: name });
  };
  return (
    <form class="inline picker" onSubmit={(e) => (e.preventDefault(), pick(typed))}>
      <SuggestInput autoFocus options={people.map((p) => p.name ?? "")} value={typed} onInput={setTyped} onSubmit={pick} onEscape={onCancel} placeholder={placeholder} testId="person-picker" />
      <button type="submit">OK</button>
      {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
    </form>
  );
}
