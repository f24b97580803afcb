// A grid of loaded items that renders only the rows in view (people, faces and photos lists):
// one untitled section of a SectionGrid, with its keyboard and selection.
import type { ComponentChildren } from "preact";
import { useMemo } from "preact/hooks";
import type { Modifiers } from "./selection";
import { OVERSCAN_ROWS, SectionGrid } from "./SectionGrid";

interface Props<T> {
  items: T[];
  cellWidth: number;
  cellHeight: number;
  render: (item: T, index: number, focused: boolean) => ComponentChildren;
  itemKey: (item: T) => string | number;
  /** Called when the last rows come into view (to load the next page). */
  onNearEnd?: () => void;
  /** A click on a cell, or Enter on the focused one. */
  onActivate?: (item: T, index: number) => void;
  onSelect?: (index: number, modifiers: Modifiers) => void;
  onDragSelect?: (indices: number[], additive: boolean, phase: "start" | "move") => void;
  testId?: string;
}

export function visibleRange(scrollTop: number, viewHeight: number, rowHeight: number, rows: number) {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN_ROWS);
  const last = Math.min(rows, Math.ceil((scrollTop + viewHeight) / rowHeight) + OVERSCAN_ROWS);
  return { first, last };
}

export function VirtualGrid<T>({ items, cellWidth, cellHeight, render, onNearEnd, onActivate, onSelect, onDragSelect, testId }: Props<T>) {
  const sections = useMemo(() => [{ key: "all", title: null, count: items.length }], [items.length]);
  return (
    <SectionGrid
      testId={testId}
      sections={sections}
      cellWidth={cellWidth}
      cellHeight={cellHeight}
      renderCell={(index, focused) => (index < items.length ? render(items[index], index, focused) : null)}
      onNearEnd={onNearEnd}
      onActivate={onActivate ? (index) => index < items.length && onActivate(items[index], index) : undefined}
      onSelect={onSelect}
      onDragSelect={onDragSelect}
    />
  );
}
