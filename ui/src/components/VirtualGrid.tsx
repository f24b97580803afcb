// A grid that renders only the rows in view, so 10k people or 100k photos scroll like ten.
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";

interface Props<T> {
  items: T[];
  cellWidth: number;
  cellHeight: number;
  render: (item: T, index: number) => ComponentChildren;
  itemKey: (item: T) => string | number;
  /** Called when the last rows come into view (to load the next page). */
  onNearEnd?: () => void;
  testId?: string;
}

/** Rows drawn above and below the visible ones, so fast scrolling shows no gaps. */
const OVERSCAN_ROWS = 3;

export function visibleRange(scrollTop: number, viewHeight: number, rowHeight: number, rows: number) {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN_ROWS);
  const last = Math.min(rows, Math.ceil((scrollTop + viewHeight) / rowHeight) + OVERSCAN_ROWS);
  return { first, last };
}

export function VirtualGrid<T>({ items, cellWidth, cellHeight, render, itemKey, onNearEnd, testId }: Props<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 800, height: 600 });
  const [scrollTop, setScrollTop] = useState(0);

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
  const rows = Math.ceil(items.length / columns);
  const { first, last } = visibleRange(scrollTop, size.height, cellHeight, rows);

  useEffect(() => {
    if (onNearEnd && last >= rows - OVERSCAN_ROWS) onNearEnd();
  }, [last, rows, onNearEnd]);

  const cells = [];
  for (let index = first * columns; index < Math.min(items.length, last * columns); index++) {
    const row = Math.floor(index / columns);
    const column = index % columns;
    cells.push(
      <div
        key={itemKey(items[index])}
        class="cell"
        style={{ transform: `translate(${column * cellWidth}px, ${row * cellHeight}px)`, width: `${cellWidth}px`, height: `${cellHeight}px` }}
      >
        {render(items[index], index)}
      </div>,
    );
  }
  return (
    <div class="grid-scroller" ref={scroller} data-testid={testId} data-count={items.length} onScroll={(e) => setScrollTop((e.currentTarget as HTMLDivElement).scrollTop)}>
      <div class="grid-body" style={{ height: `${rows * cellHeight}px` }}>
        {cells}
      </div>
    </div>
  );
}
