import { JobBar } from "./components/JobBar";
import { href, useRoute } from "./router";
import { LibraryView } from "./views/Library";
import { PeopleView } from "./views/People";
import { PersonView } from "./views/Person";
import { PhotoView } from "./views/Photo";
import { SearchView } from "./views/Search";
import { SettingsView } from "./views/Settings";

const TABS = [
  { view: "library", label: "Library" },
  { view: "people", label: "People" },
  { view: "search", label: "Search" },
  { view: "settings", label: "Settings" },
] as const;

export function App() {
  const route = useRoute();
  const current = route.view === "person" ? "people" : route.view === "photo" ? null : route.view;
  return (
    <div class="app">
      <nav class="tabs">
        <span class="brand">Kindred</span>
        {TABS.map((tab) => (
          <a key={tab.view} href={href({ view: tab.view })} class={current === tab.view ? "active" : ""} data-testid={`nav-${tab.view}`}>
            {tab.label}
          </a>
        ))}
      </nav>
      <main>
        {route.view === "library" && <LibraryView />}
        {route.view === "people" && <PeopleView />}
        {route.view === "person" && <PersonView id={route.id} />}
        {route.view === "photo" && <PhotoView id={route.id} />}
        {route.view === "search" && <SearchView />}
        {route.view === "settings" && <SettingsView />}
      </main>
      <JobBar />
    </div>
  );
}
