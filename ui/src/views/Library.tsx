// Folders of the library, the scan and face jobs, and the files that need a look.
import { open } from "@tauri-apps/plugin-dialog";
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { FileIssue } from "../bindings/FileIssue";
import type { LibraryInfo } from "../bindings/LibraryInfo";
import { perform, reportError, runJobs, useAppState } from "../store";

/** Adding a folder scans it and then finds the faces in its photos. */
export function addFolder(path: string) {
  return runJobs([{ kind: "scan", folders: [path] }, { kind: "faces" }]);
}

export function LibraryView() {
  const { revision, job } = useAppState();
  const [info, setInfo] = useState<LibraryInfo | null>(null);
  const [issues, setIssues] = useState<FileIssue[]>([]);
  const [typedPath, setTypedPath] = useState("");

  useEffect(() => {
    api.libraryInfo().then(setInfo).catch(reportError);
    api.listIssues().then(setIssues).catch(reportError);
  }, [revision, job === null]);

  const chooseFolder = async () => {
    const chosen = await open({ directory: true, multiple: false, title: "Add a folder of photos" });
    if (typeof chosen === "string") await addFolder(chosen);
  };
  const removeFolder = async (path: string) => {
    if (!confirm(`Remove ${path} from Kindred? Nothing is deleted from disk, and names you gave stay.`)) return;
    await perform(() => api.removeFolder(path));
  };
  const busy = job !== null;

  return (
    <section class="view library" data-testid="library-view">
      <header class="view-header">
        <h1>Library</h1>
        {info && (
          <p class="muted" data-testid="library-summary">
            {info.photos.toLocaleString()} photos in {info.folders.length} {info.folders.length === 1 ? "folder" : "folders"} · {info.path}
          </p>
        )}
      </header>
      <div class="toolbar">
        <button onClick={chooseFolder} disabled={busy}>Add folder…</button>
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (typedPath.trim()) addFolder(typedPath.trim()).then(() => setTypedPath(""));
          }}
        >
          <input
            type="text"
            placeholder="or type a folder path"
            value={typedPath}
            onInput={(e) => setTypedPath(e.currentTarget.value)}
            data-testid="folder-input"
          />
          <button type="submit" disabled={busy || !typedPath.trim()} data-testid="add-folder">Add</button>
        </form>
        <span class="spacer" />
        <button onClick={() => runJobs([{ kind: "scan" }, { kind: "faces" }])} disabled={busy || !info?.folders.length} data-testid="rescan">
          Scan again
        </button>
        <button onClick={() => runJobs([{ kind: "write_names" }])} disabled={busy} data-testid="write-names" title="Write the names you confirmed into XMP sidecar files beside the photos, for other programs to read">
          Export names to photos
        </button>
      </div>
      <table class="folders" data-testid="folders">
        <thead>
          <tr><th>Folder</th><th>Photos</th><th>Last scanned</th><th /></tr>
        </thead>
        <tbody>
          {info?.folders.map((folder) => (
            <tr key={folder.path}>
              <td>{folder.path}</td>
              <td>{folder.photos.toLocaleString()}</td>
              <td>{folder.lastScan ? new Date(folder.lastScan).toLocaleString() : "never"}</td>
              <td><button class="link" disabled={busy} onClick={() => removeFolder(folder.path)}>Remove</button></td>
            </tr>
          ))}
          {info && info.folders.length === 0 && (
            <tr><td colSpan={4} class="muted">No folders yet. Add the folder where your photos are.</td></tr>
          )}
        </tbody>
      </table>
      <h2>Files that need a look {issues.length > 0 && <span class="count">{issues.length.toLocaleString()}</span>}</h2>
      {issues.length === 0 ? (
        <p class="muted">None: every file was read.</p>
      ) : (
        <ul class="issues" data-testid="issues">
          {issues.slice(0, 1000).map((issue) => (
            <li key={issue.path + issue.kind} class={issue.severity}>
              <span class="issue-kind">{issue.kind.replace(/_/g, " ")}</span> <span class="issue-path">{issue.path}</span>
              <div class="muted">{issue.message}</div>
            </li>
          ))}
          {issues.length > 1000 && <li class="muted">and {(issues.length - 1000).toLocaleString()} more (kindred issues lists them all)</li>}
        </ul>
      )}
    </section>
  );
}
