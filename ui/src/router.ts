// Views are addressed by the URL hash, so the back button and keyboard shortcuts work.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { view: "photos" }
  | { view: "albums" }
  | { view: "album"; id: number }
  | { view: "folder"; path: string }
  | { view: "library" }
  | { view: "people" }
  | { view: "name" }
  | { view: "person"; id: number }
  | { view: "photo"; id: number }
  | { view: "settings" };

export function parseRoute(hash: string): Route {
  const [view, ...rest] = hash.replace(/^#\/?/, "").split("/");
  const number = Number(rest[0]);
  switch (view) {
    case "photos":
    case "albums":
    case "people":
    case "name":
    case "settings":
    case "library":
      return { view };
    // The search of earlier versions is the Photos view's filters.
    case "search":
      return { view: "photos" };
    case "folder": {
      const path = decodeURIComponent(rest.join("/"));
      return path ? { view: "folder", path } : { view: "albums" };
    }
    case "album":
      if (Number.isInteger(number) && number > 0) return { view, id: number };
      return { view: "albums" };
    case "person":
    case "photo":
      if (Number.isInteger(number) && number > 0) return { view, id: number };
      return { view: "people" };
    default:
      return { view: "photos" };
  }
}

export function href(route: Route): string {
  if (route.view === "folder") return `#/folder/${encodeURIComponent(route.path)}`;
  return "id" in route ? `#/${route.view}/${route.id}` : `#/${route.view}`;
}

export function go(route: Route) {
  location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
