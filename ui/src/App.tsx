import { useEffect } from "preact/hooks";
import { api } from "./api";
import { Help } from "./components/Help";
import { JobBar } from "./components/JobBar";
import { href, useRoute } from "./router";
import { getState, notify, perform, setState } from "./store";
import { AlbumsView } from "./views/Albums";
import { LibraryView } from "./views/Library";
import { NamePeopleView } from "./views/NamePeople";
import { PeopleView } from "./views/People";
import { PersonView } from "./views/Person";
import { PhotoView } from "./views/Photo";
import { PhotosView } from "./views/Photos";
import { SettingsView } from "./views/Settings";

const TABS = [
  { view: "photos", label: "Photos" },
  { view: "albums", label: "Albums" },
  { view: "people", label: "People" },
  { view: "name", label: "Name people" },
  { view: "library", label: "Library" },
  { view: "settings", label: "Settings" },
] as const;

/** Whether a key press belongs to a text field rather than to the app. */
export function typingIn(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** Keys that work everywhere: ? shows the shortcuts, Ctrl+Z undoes the last change. */
export function onGlobalKey(e: KeyboardEvent) {
  if (typingIn(e.target)) return;
  if (e.key === "?") {
    e.preventDefault();
    setState({ help: !getState().help });
  } else if (e.key === "Escape" && getState().help) {
    e.preventDefault();
    e.stopImmediatePropagation();
    setState({ help: false });
  } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") {
    e.preventDefault();
    perform(async () => notify((await api.undo()) ? "Undone." : "Nothing to undo."));
  }
}

export function App() {
  const route = useRoute();
  const current =
    route.view === "person" ? "people" : route.view === "album" || route.view === "folder" ? "albums" : route.view === "photo" ? null : route.view;
  useEffect(() => {
    // Capturing, so that Escape closes the help before a view sees it.
    window.addEventListener("keydown", onGlobalKey, true);
    return () => window.removeEventListener("keydown", onGlobalKey, true);
  }, []);
  return (
    <div class="app">
      <nav class="tabs">
        <span class="brand">Kindred</span>
        {TABS.map((tab) => (
          <a key={tab.view} href={href({ view: tab.view })} class={current === tab.view ? "active" : ""} data-testid={`nav-${tab.view}`}>
            {tab.label}
          </a>
        ))}
        <span class="spacer" />
        <button class="link help-button" onClick={() => setState({ help: true })} title="Keyboard shortcuts (?)" data-testid="open-help">?</button>
      </nav>
      <main>
        {route.view === "photos" && <PhotosView />}
        {route.view === "albums" && <AlbumsView />}
        {route.view === "album" && <PhotosView key={`album-${route.id}`} album={route.id} />}
        {route.view === "folder" && <PhotosView key={`folder-${route.path}`} folder={route.path} />}
        {route.view === "library" && <LibraryView />}
        {route.view === "people" && <PeopleView />}
        {route.view === "name" && <NamePeopleView />}
        {route.view === "person" && <PersonView id={route.id} />}
        {route.view === "photo" && <PhotoView id={route.id} />}
        {route.view === "settings" && <SettingsView />}
      </main>
      <Help />
      <JobBar />
    </div>
  );
}
