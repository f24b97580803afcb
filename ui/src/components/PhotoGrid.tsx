// Grids of photos, newest first, loaded a page at a time as they scroll.
import { useCallback, useRef, useState } from "preact/hooks";
import type { PhotoCard } from "../bindings/PhotoCard";
import { go } from "../router";
import { reportError, setState } from "../store";
import { PhotoThumb } from "./Pictures";
import { VirtualGrid } from "./VirtualGrid";

const PAGE = 200;

/** Pages of photos, loaded as the grid scrolls; starts over when `deps` change. */
export function usePhotoPages(load: (offset: number, limit: number) => Promise<{ photos: PhotoCard[]; more: boolean }>, deps: unknown[]) {
  const key = JSON.stringify(deps);
  const [pages, setPages] = useState({ key, photos: [] as PhotoCard[], more: true });
  const current = pages.key === key ? pages : { key, photos: [] as PhotoCard[], more: true };
  // The page being asked for (key and offset), so that one page is never asked for twice.
  const pending = useRef<string | null>(null);
  const offset = current.photos.length;
  const loadMore = useCallback(() => {
    const token = `${key}@${offset}`;
    if (!current.more || pending.current === token) return;
    pending.current = token;
    load(offset, PAGE)
      .then((page) =>
        setPages((previous) => {
          const base = previous.key === key ? previous : { key, photos: [] as PhotoCard[], more: true };
          // An answer for a listing that moved on (new filters, or a page already added) is dropped.
          if (base.photos.length !== offset) return previous;
          return { key, photos: [...base.photos, ...page.photos], more: page.more };
        }),
      )
      .catch(reportError)
      .finally(() => {
        if (pending.current === token) pending.current = null;
      });
  }, [key, offset, current.more]);
  return { photos: current.photos, more: current.more, loadMore };
}

export function PhotoGrid({
  photos,
  loadMore,
  testId,
  caption,
}: {
  photos: PhotoCard[];
  loadMore: () => void;
  testId: string;
  /** A line shown over each photo (a person's age in it), if any. */
  caption?: (photo: PhotoCard) => string | null;
}) {
  return (
    <VirtualGrid
      testId={testId}
      items={photos}
      cellWidth={200}
      cellHeight={200}
      itemKey={(p) => p.id}
      onNearEnd={loadMore}
      onActivate={(photo) => {
        setState({ browsing: photos.map((p) => p.id), browsingQuery: null });
        go({ view: "photo", id: photo.id });
      }}
      render={(photo) => <PhotoTile photo={photo} caption={caption?.(photo) ?? null} />}
    />
  );
}

export function PhotoTile({ photo, selected = false, caption = null }: { photo: PhotoCard; selected?: boolean; caption?: string | null }) {
  return (
    <div class={`photo-tile${selected ? " selected" : ""}`} title={`${photo.fileName}${photo.takenAt ? ` · ${photo.takenAt.slice(0, 10)}` : ""}`} data-testid="photo-tile" data-photo-id={photo.id}>
      <PhotoThumb photo={photo.id} title={photo.fileName} />
      {caption && <span class="caption" data-testid="photo-caption">{caption}</span>}
      {selected && <span class="check" aria-label="Selected">✓</span>}
    </div>
  );
}
