// Views are addressed by the URL hash, so the back button and keyboard shortcuts work.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { view: "library" }
  | { view: "people" }
  | { view: "person"; id: number }
  | { view: "photo"; id: number }
  | { view: "search" }
  | { view: "settings" };

export function parseRoute(hash: string): Route {
  const [view, id] = hash.replace(/^#\/?/, "").split("/");
  const number = Number(id);
  switch (view) {
    case "people":
    case "search":
    case "settings":
    case "library":
      return { view };
    case "person":
    case "photo":
      if (Number.isInteger(number) && number > 0) return { view, id: number };
      return { view: "people" };
    default:
      return { view: "people" };
  }
}

export function href(route: Route): string {
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
