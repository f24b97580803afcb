import { describe, expect, it } from "vitest";
import { cellPosition, cellsBetween, cellsInRect, layoutSections, moveFocus } from "../src/components/SectionGrid";
import { clickSelection, dragSelection } from "../src/components/selection";
import { suggestions } from "../src/components/SuggestInput";

// Three columns of 100 × 100 cells; months of 5, 2 and 4 items under 40-pixel headers.
const layout = layoutSections(
  [
    { key: "a", title: "March", count: 5 },
    { key: "b", title: "February", count: 2 },
    { key: "c", title: "January", count: 4 },
  ],
  3,
  100,
  100,
  40,
);

describe("Sections", () => {
  it("lays out sections from their counts alone", () => {
    expect(layout.tops).toEqual([0, 240, 380]);
    expect(layout.height).toBe(620);
    expect(cellPosition(layout, 4)).toEqual({ x: 100, y: 140, section: 0 });
    expect(cellPosition(layout, 5)).toEqual({ x: 0, y: 280, section: 1 });
    expect(cellPosition(layout, 10)).toEqual({ x: 0, y: 520, section: 2 });
  });

  it("draws only what lies in view", () => {
    expect(cellsBetween(layout, 250, 400)).toEqual({ indices: [5, 6], headers: [1, 2] });
    expect(cellsBetween(layout, 250, 450).indices).toEqual([5, 6, 7, 8, 9]);
    expect(cellsBetween(layout, 0, 30)).toEqual({ indices: [], headers: [0] });
  });

  it("moves the focus by keyboard across sections, keeping the column", () => {
    expect(moveFocus(layout, 4, "ArrowDown")).toBe(6);
    expect(moveFocus(layout, 1, "ArrowDown")).toBe(4);
    expect(moveFocus(layout, 6, "ArrowUp")).toBe(4);
    expect(moveFocus(layout, 7, "ArrowUp")).toBe(5);
    expect(moveFocus(layout, 10, "ArrowDown")).toBe(10);
    expect(moveFocus(layout, 0, "ArrowLeft")).toBe(0);
    expect(moveFocus(layout, 4, "ArrowRight")).toBe(5);
    expect(moveFocus(layout, 3, "End")).toBe(10);
  });

  it("finds the cells a dragged rectangle touches", () => {
    expect(cellsInRect(layout, { left: 150, top: 90, right: 160, bottom: 300 })).toEqual([1, 4, 6]);
  });
});

describe("Selection", () => {
  const keyOf = (i: number) => (i === 3 ? undefined : i * 10);
  it("toggles with Ctrl and takes ranges with Shift", () => {
    let state = clickSelection({ selected: new Set<number>(), anchor: null }, 1, { shift: false, toggle: true }, keyOf);
    state = clickSelection(state, 5, { shift: true, toggle: false }, keyOf);
    expect([...state.selected]).toEqual([10, 20, 40, 50]);
    state = clickSelection(state, 2, { shift: false, toggle: true }, keyOf);
    expect([...state.selected]).toEqual([10, 40, 50]);
  });

  it("adds a dragged rectangle to the selection, or replaces it", () => {
    expect([...dragSelection(new Set([90]), [1, 2], true, keyOf).selected]).toEqual([90, 10, 20]);
    expect([...dragSelection(new Set([90]), [1, 2], false, keyOf).selected]).toEqual([10, 20]);
  });
});

describe("Suggestions", () => {
  it("offers names starting with what is typed first, then those holding it", () => {
    expect(suggestions(["Anna", "Hanna", "Bo", "anne"], "an")).toEqual(["Anna", "anne", "Hanna"]);
    expect(suggestions(["Anna"], "anna")).toEqual([]);
    expect(suggestions(["Anna"], " ")).toEqual([]);
  });
});
