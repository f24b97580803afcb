// The keyboard shortcuts, shown with ? from anywhere (and closed with ? or Escape).
import { setState, useAppState } from "../store";

export const SHORTCUTS: { title: string; keys: [string, string][] }[] = [
  {
    title: "Everywhere",
    keys: [
      ["?", "show or hide these shortcuts"],
      ["Ctrl Z", "undo the last change to people or albums"],
    ],
  },
  {
    title: "Grids of photos, people and faces",
    keys: [
      ["← → ↑ ↓", "move between pictures (Tab first, to reach the grid)"],
      ["Enter", "open the picture (a face: select it)"],
      ["Space", "select or unselect it"],
      ["Shift + arrow", "select on to there"],
      ["Ctrl-click", "select or unselect one"],
      ["Shift-click", "select everything from the last one clicked"],
      ["drag", "select every picture the rectangle touches"],
    ],
  },
  {
    title: "A photo",
    keys: [
      ["← →", "the previous or next photo of the list it came from"],
      ["D", "draw a box around a face Kindred missed"],
      ["Escape", "stop drawing, close the face panel, or go back"],
    ],
  },
  {
    title: "Name people",
    keys: [
      ["Enter", "name the group (a person's name adds it to them)"],
      ["↓ ↑ Tab", "choose or complete a name"],
      ["Escape", "skip this group"],
      ["Y N S", "Is this them? yes, no, skip"],
    ],
  },
];

export function Help() {
  const { help } = useAppState();
  if (!help) return null;
  return (
    <div class="help-overlay" role="dialog" aria-label="Keyboard shortcuts" data-testid="help" onClick={() => setState({ help: false })}>
      <div class="help-panel" onClick={(e) => e.stopPropagation()}>
        <header class="view-header">
          <h2>Keyboard shortcuts</h2>
          <span class="spacer" />
          <button onClick={() => setState({ help: false })}>Close</button>
        </header>
        {SHORTCUTS.map((group) => (
          <section key={group.title}>
            <h3>{group.title}</h3>
            <dl>
              {group.keys.map(([key, what]) => (
                <div class="shortcut" key={key}>
                  <dt><kbd>{key}</kbd></dt>
                  <dd>{what}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
    </div>
  );
}
