// Selecting many items of a grid, as file managers do: Ctrl-click (or Space) toggles one,
// Shift-click (or Shift and an arrow) takes everything from the last one clicked, and dragging
// across the grid takes every item the rectangle touches.
import { useState } from "preact/hooks";

export interface Modifiers {
  shift: boolean;
  /** Ctrl, or ⌘ on a Mac. */
  toggle: boolean;
}

export interface SelectionState<K> {
  selected: Set<K>;
  /** Where the last click without Shift was: the start of the next Shift range. */
  anchor: number | null;
}

/** The selection after a click on item `index` with `modifiers`; `keyOf` names the item at an
 * index (undefined while it is not loaded: such items are passed over). */
export function clickSelection<K>(state: SelectionState<K>, index: number, modifiers: Modifiers, keyOf: (index: number) => K | undefined): SelectionState<K> {
  const selected = new Set(state.selected);
  if (modifiers.shift && state.anchor !== null) {
    const [from, to] = state.anchor <= index ? [state.anchor, index] : [index, state.anchor];
    if (!modifiers.toggle) selected.clear();
    for (let i = from; i <= to; i++) {
      const key = keyOf(i);
      if (key !== undefined) selected.add(key);
    }
    return { selected, anchor: state.anchor };
  }
  const key = keyOf(index);
  if (key === undefined) return state;
  if (selected.has(key)) selected.delete(key);
  else selected.add(key);
  return { selected, anchor: index };
}

/** The selection after dragging a rectangle over `indices`: they are added to what was
 * selected when the drag started (`base`), or replace it. */
export function dragSelection<K>(base: Set<K>, indices: number[], additive: boolean, keyOf: (index: number) => K | undefined): SelectionState<K> {
  const selected = new Set(additive ? base : []);
  for (const i of indices) {
    const key = keyOf(i);
    if (key !== undefined) selected.add(key);
  }
  return { selected, anchor: indices.length ? indices[indices.length - 1] : null };
}

export function useSelection<K>() {
  const [state, setState] = useState<SelectionState<K>>({ selected: new Set(), anchor: null });
  return {
    selected: state.selected,
    click: (index: number, modifiers: Modifiers, keyOf: (index: number) => K | undefined) =>
      setState((s) => clickSelection(s, index, modifiers, keyOf)),
    drag: (base: Set<K>, indices: number[], additive: boolean, keyOf: (index: number) => K | undefined) =>
      setState(dragSelection(base, indices, additive, keyOf)),
    clear: () => setState({ selected: new Set(), anchor: null }),
  };
}

export type Selection<K> = ReturnType<typeof useSelection<K>>;
