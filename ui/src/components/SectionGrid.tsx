// A grid in sections (the months of a timeline, or one untitled section) that draws only the
// rows in view, so 100k photos scroll like ten. Its layout comes from the sections' counts
// alone, so any part of a long listing can be shown (and scrolled to) before the items before
// it are loaded. Keyboard: arrows move, Enter opens, Space selects, Shift and an arrow extends;
// dragging across the grid selects every cell it touches.
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Modifiers } from "./selection";

export interface Section {
  key: string;
  /** A header above the section's cells; none for a section without one. */
  title: string | null;
  count: number;
}

export interface SectionLayout {
  columns: number;
  /** Per section: where it starts (pixels), its first item, its rows. */
  tops: number[];
  firsts: number[];
  rows: number[];
  height: number;
  total: number;
  cellWidth: number;
  cellHeight: number;
  headerHeight: number;
  sections: Section[];
}

/** Rows drawn above and below the visible ones, so that scrolling shows no gaps. One row
 * (180-200 pixels) is more than a frame of wheel or touchpad scrolling; each row more is
 * drawn again on every jump (measured: ten pages of the timeline scrolled 20% faster with one
 * row than with three). */
export const OVERSCAN_ROWS = 1;

export function layoutSections(sections: Section[], columns: number, cellWidth: number, cellHeight: number, headerHeight: number): SectionLayout {
  const tops: number[] = [];
  const firsts: number[] = [];
  const rows: number[] = [];
  let y = 0;
  let first = 0;
  for (const section of sections) {
    tops.push(y);
    firsts.push(first);
    const r = Math.ceil(section.count / columns);
    rows.push(r);
    y += (section.title !== null ? headerHeight : 0) + r * cellHeight;
    first += section.count;
  }
  return { columns, tops, firsts, rows, height: y, total: first, cellWidth, cellHeight, headerHeight, sections };
}

/** The last index `i` with `values[i] <= target` (0 when none). */
function lastAtOrBefore(values: number[], target: number): number {
  let low = 0;
  let high = values.length - 1;
  let found = 0;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (values[mid] <= target) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}

export function sectionOf(layout: SectionLayout, index: number): number {
  return lastAtOrBefore(layout.firsts, index);
}

function header(layout: SectionLayout, section: number): number {
  return layout.sections[section].title !== null ? layout.headerHeight : 0;
}

/** Where cell `index` is drawn (its top-left corner). */
export function cellPosition(layout: SectionLayout, index: number): { x: number; y: number; section: number } {
  const section = sectionOf(layout, index);
  const within = index - layout.firsts[section];
  const row = Math.floor(within / layout.columns);
  const column = within % layout.columns;
  return { x: column * layout.cellWidth, y: layout.tops[section] + header(layout, section) + row * layout.cellHeight, section };
}

/** Cells whose rows lie (partly) between `top` and `bottom`, and the section headers there. */
export function cellsBetween(layout: SectionLayout, top: number, bottom: number): { indices: number[]; headers: number[] } {
  const indices: number[] = [];
  const headers: number[] = [];
  if (layout.sections.length === 0) return { indices, headers };
  for (let s = lastAtOrBefore(layout.tops, Math.max(0, top)); s < layout.sections.length && layout.tops[s] < bottom; s++) {
    const h = header(layout, s);
    if (h > 0 && layout.tops[s] + h > top) headers.push(s);
    const body = layout.tops[s] + h;
    const firstRow = Math.max(0, Math.floor((top - body) / layout.cellHeight));
    const lastRow = Math.min(layout.rows[s], Math.ceil((bottom - body) / layout.cellHeight));
    for (let row = firstRow; row < lastRow; row++) {
      for (let column = 0; column < layout.columns; column++) {
        const within = row * layout.columns + column;
        if (within >= layout.sections[s].count) break;
        indices.push(layout.firsts[s] + within);
      }
    }
  }
  return { indices, headers };
}

/** Cells a dragged rectangle (content coordinates) touches. */
export function cellsInRect(layout: SectionLayout, rect: { left: number; top: number; right: number; bottom: number }): number[] {
  const firstColumn = Math.max(0, Math.floor(rect.left / layout.cellWidth));
  const lastColumn = Math.min(layout.columns - 1, Math.floor(rect.right / layout.cellWidth));
  return cellsBetween(layout, rect.top, rect.bottom).indices.filter((i) => {
    const { y } = cellPosition(layout, i);
    const column = (i - layout.firsts[sectionOf(layout, i)]) % layout.columns;
    return column >= firstColumn && column <= lastColumn && y < rect.bottom && y + layout.cellHeight > rect.top;
  });
}

/** The cell an arrow key leads to from `index`: left and right step through the items, up and
 * down keep the column, across section boundaries. */
export function moveFocus(layout: SectionLayout, index: number, key: string): number {
  const last = layout.total - 1;
  if (last < 0) return 0;
  if (key === "ArrowLeft") return Math.max(0, index - 1);
  if (key === "ArrowRight") return Math.min(last, index + 1);
  if (key === "Home") return 0;
  if (key === "End") return last;
  const section = sectionOf(layout, index);
  const within = index - layout.firsts[section];
  const row = Math.floor(within / layout.columns);
  const column = within % layout.columns;
  if (key === "ArrowUp") {
    if (row > 0) return index - layout.columns;
    for (let s = section - 1; s >= 0; s--) {
      if (layout.sections[s].count === 0) continue;
      const lastRow = layout.rows[s] - 1;
      return layout.firsts[s] + Math.min(layout.sections[s].count - 1, lastRow * layout.columns + column);
    }
    return index;
  }
  if (key === "ArrowDown") {
    if ((row + 1) * layout.columns < layout.sections[section].count) {
      return layout.firsts[section] + Math.min(layout.sections[section].count - 1, (row + 1) * layout.columns + column);
    }
    for (let s = section + 1; s < layout.sections.length; s++) {
      if (layout.sections[s].count === 0) continue;
      return layout.firsts[s] + Math.min(layout.sections[s].count - 1, column);
    }
    return index;
  }
  return index;
}

export interface ScrollRequest {
  /** Scroll so that this section's top (or this cell) is at the top of the view. */
  section?: number;
  index?: number;
  /** A new token asks again for the same place. */
  token: number;
}

interface Props {
  sections: Section[];
  cellWidth: number;
  cellHeight: number;
  headerHeight?: number;
  renderCell: (index: number, focused: boolean) => ComponentChildren;
  renderHeader?: (section: Section, index: number) => ComponentChildren;
  /** The cells in view (and a few rows around) changed: load what they need. */
  onVisible?: (first: number, last: number) => void;
  /** The last rows came into view (to load the next page). */
  onNearEnd?: () => void;
  /** The section at the top of the view changed (for a scrubber). */
  onTopSection?: (section: number) => void;
  onActivate?: (index: number) => void;
  /** A click on a cell, or Space (toggle) and Shift+arrow (extend) from the keyboard. */
  onSelect?: (index: number, modifiers: Modifiers) => void;
  /** Cells a drag rectangle touched; `additive` when Ctrl or Shift was held as it started. */
  onDragSelect?: (indices: number[], additive: boolean, phase: "start" | "move") => void;
  scrollRequest?: ScrollRequest | null;
  testId?: string;
  /** Extra attributes on the scroller (counts for tests and measurements). */
  data?: Record<string, string | number>;
}

/** Pixels the pointer must travel before a press becomes a drag. */
const DRAG_START = 6;

export function SectionGrid({ sections, cellWidth, cellHeight, headerHeight = 36, renderCell, renderHeader, onVisible, onNearEnd, onTopSection, onActivate, onSelect, onDragSelect, scrollRequest, testId, data }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 800, height: 600 });
  const [scrollTop, setScrollTop] = useState(0);
  const [focus, setFocus] = useState<number | null>(null);
  const [band, setBand] = useState<{ left: number; top: number; right: number; bottom: number } | null>(null);
  const drag = useRef<{ x: number; y: number; additive: boolean; moved: boolean } | null>(null);
  const suppressClick = useRef(false);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const measure = () => setSize({ width: element.clientWidth || 800, height: element.clientHeight || 600 });
    measure();
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(measure);
    observer?.observe(element);
    return () => observer?.disconnect();
  }, []);

  const columns = Math.max(1, Math.floor(size.width / cellWidth));
  const layout = useMemo(() => layoutSections(sections, columns, cellWidth, cellHeight, headerHeight), [sections, columns, cellWidth, cellHeight, headerHeight]);
  const overscan = OVERSCAN_ROWS * cellHeight;
  const { indices, headers } = cellsBetween(layout, scrollTop - overscan, scrollTop + size.height + overscan);
  const first = indices.length ? indices[0] : 0;
  const last = indices.length ? indices[indices.length - 1] : -1;
  const topSection = layout.sections.length ? lastAtOrBefore(layout.tops, scrollTop + 1) : 0;

  useEffect(() => {
    if (onVisible && last >= first) onVisible(first, last);
    if (onNearEnd && last >= layout.total - 1 - OVERSCAN_ROWS * columns) onNearEnd();
  }, [first, last, layout.total, onNearEnd, onVisible]);
  useEffect(() => {
    onTopSection?.(topSection);
  }, [topSection]);
  const handledScroll = useRef<number | null>(null);
  useEffect(() => {
    const element = scroller.current;
    if (!scrollRequest || !element || handledScroll.current === scrollRequest.token || layout.total === 0) return;
    handledScroll.current = scrollRequest.token;
    let y = 0;
    if (scrollRequest.index !== undefined && layout.total > 0) {
      const position = cellPosition(layout, Math.min(scrollRequest.index, layout.total - 1));
      y = position.y - header(layout, position.section);
    } else if (scrollRequest.section !== undefined && layout.sections.length) {
      y = layout.tops[Math.min(scrollRequest.section, layout.sections.length - 1)];
    }
    element.scrollTop = y;
    setScrollTop(y);
  }, [scrollRequest?.token, layout]);

  const showFocused = (index: number) => {
    const element = scroller.current;
    setFocus(index);
    if (!element) return;
    const { y } = cellPosition(layout, index);
    if (y < element.scrollTop) element.scrollTop = y - (y === cellPosition(layout, layout.firsts[sectionOf(layout, index)]).y ? headerHeight : 0);
    else if (y + cellHeight > element.scrollTop + element.clientHeight) element.scrollTop = y + cellHeight - element.clientHeight;
    setScrollTop(element.scrollTop);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || layout.total === 0) return;
    const current = focus ?? Math.min(layout.total - 1, Math.max(0, first));
    if (["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"].includes(e.key)) {
      e.preventDefault();
      const next = focus === null ? current : moveFocus(layout, current, e.key);
      showFocused(next);
      if (e.shiftKey) onSelect?.(next, { shift: true, toggle: true });
    } else if (e.key === "Enter" && focus !== null) {
      e.preventDefault();
      onActivate?.(focus);
    } else if (e.key === " " && focus !== null) {
      e.preventDefault();
      onSelect?.(focus, { shift: false, toggle: true });
    }
  };

  const contentPoint = (e: PointerEvent) => {
    const element = scroller.current!;
    const box = element.getBoundingClientRect();
    return { x: e.clientX - box.left + element.scrollLeft, y: e.clientY - box.top + element.scrollTop };
  };
  const onPointerDown = (e: PointerEvent) => {
    if (!onDragSelect || e.button !== 0) return;
    if ((e.target as Element).closest("input, button, select, textarea, label")) return;
    const { x, y } = contentPoint(e);
    drag.current = { x, y, additive: e.shiftKey || e.ctrlKey || e.metaKey, moved: false };
  };
  const onPointerMove = (e: PointerEvent) => {
    const start = drag.current;
    if (!start || !onDragSelect) return;
    const { x, y } = contentPoint(e);
    if (!start.moved && Math.hypot(x - start.x, y - start.y) < DRAG_START) return;
    const rect = { left: Math.min(x, start.x), top: Math.min(y, start.y), right: Math.max(x, start.x), bottom: Math.max(y, start.y) };
    if (!start.moved) {
      start.moved = true;
      scroller.current?.setPointerCapture?.(e.pointerId);
      onDragSelect(cellsInRect(layout, rect), start.additive, "start");
    } else {
      onDragSelect(cellsInRect(layout, rect), start.additive, "move");
    }
    setBand(rect);
  };
  const onPointerUp = () => {
    if (drag.current?.moved) suppressClick.current = true;
    drag.current = null;
    setBand(null);
  };

  const cells = indices.map((index) => {
    const { x, y } = cellPosition(layout, index);
    return (
      <div
        key={index}
        class={`cell${focus === index ? " focused" : ""}`}
        data-index={index}
        style={{ transform: `translate(${x}px, ${y}px)`, width: `${cellWidth}px`, height: `${cellHeight}px` }}
        onClick={(e) => {
          if (suppressClick.current) {
            suppressClick.current = false;
            return;
          }
          if ((e.target as Element).closest("input, button, select, textarea, label, form")) return;
          setFocus(index);
          const modifiers = { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey };
          if ((modifiers.shift || modifiers.toggle) && onSelect) onSelect(index, modifiers);
          else onActivate?.(index);
        }}
      >
        {renderCell(index, focus === index)}
      </div>
    );
  });
  const headerCells = headers.map((s) => (
    <div key={`h-${layout.sections[s].key}`} class="section-header" style={{ transform: `translateY(${layout.tops[s]}px)`, height: `${headerHeight}px` }}>
      {renderHeader ? renderHeader(layout.sections[s], s) : layout.sections[s].title}
    </div>
  ));
  return (
    <div
      class="grid-scroller"
      ref={scroller}
      tabIndex={0}
      data-testid={testId}
      data-count={layout.total}
      {...Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [`data-${k}`, v]))}
      onScroll={(e) => setScrollTop((e.currentTarget as HTMLDivElement).scrollTop)}
      onKeyDown={onKeyDown}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
    >
      <div class="grid-body" style={{ height: `${layout.height}px` }}>
        {headerCells}
        {cells}
        {band && <div class="drag-band" style={{ left: `${band.left}px`, top: `${band.top}px`, width: `${band.right - band.left}px`, height: `${band.bottom - band.top}px` }} />}
      </div>
    </div>
  );
}
