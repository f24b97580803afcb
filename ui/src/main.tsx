import { render } from "preact";
import { onLibraryChanged } from "./api";
import { App } from "./App";
import { libraryChanged } from "./store";
import "./style.css";

// Photos the folder watcher picked up show without a reload.
onLibraryChanged(libraryChanged).catch((error) => console.warn("not following library changes:", error));

render(<App />, document.getElementById("app")!);
