// A text field that completes from a list (names of people, albums), entirely by keyboard:
// ↓ and ↑ choose a suggestion, Tab completes, Enter takes the chosen one (or what is typed),
// Escape gives up. The browser's own <datalist> is not used: not every web view shows it.
import { useState } from "preact/hooks";

/** Options that hold what is typed (any case), those starting with it first; at most `limit`. */
export function suggestions(options: string[], typed: string, limit = 8): string[] {
  const wanted = typed.trim().toLocaleLowerCase();
  if (!wanted) return [];
  const starting: string[] = [];
  const holding: string[] = [];
  for (const option of options) {
    const text = option.toLocaleLowerCase();
    if (text === wanted) continue;
    if (text.startsWith(wanted)) starting.push(option);
    else if (text.includes(wanted)) holding.push(option);
  }
  return [...starting, ...holding].slice(0, limit);
}

interface Props {
  options: string[];
  value: string;
  onInput: (value: string) => void;
  /** Enter: the chosen suggestion, or the text as typed. */
  onSubmit: (value: string) => void;
  onEscape?: () => void;
  placeholder?: string;
  testId?: string;
  autoFocus?: boolean;
}

export function SuggestInput({ options, value, onInput, onSubmit, onEscape, placeholder, testId, autoFocus }: Props) {
  const [chosen, setChosen] = useState(-1);
  const list = suggestions(options, value);
  const pick = chosen >= 0 && chosen < list.length ? list[chosen] : null;
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown" && list.length) {
      e.preventDefault();
      setChosen((chosen + 1) % list.length);
    } else if (e.key === "ArrowUp" && list.length) {
      e.preventDefault();
      setChosen(chosen <= 0 ? list.length - 1 : chosen - 1);
    } else if (e.key === "Tab" && list.length && !e.shiftKey) {
      e.preventDefault();
      onInput(pick ?? list[0]);
      setChosen(-1);
    } else if (e.key === "Enter") {
      e.preventDefault();
      e.stopPropagation();
      const text = pick ?? value;
      setChosen(-1);
      onSubmit(text);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      setChosen(-1);
      onEscape?.();
    }
  };
  return (
    <span class="suggest">
      <input
        type="text"
        value={value}
        placeholder={placeholder}
        autoFocus={autoFocus}
        autoComplete="off"
        onInput={(e) => {
          setChosen(-1);
          onInput(e.currentTarget.value);
        }}
        onKeyDown={onKeyDown}
        data-testid={testId}
      />
      {list.length > 0 && (
        <ul class="suggestions" role="listbox" data-testid={testId ? `${testId}-suggestions` : undefined}>
          {list.map((option, i) => (
            <li
              key={option}
              role="option"
              aria-selected={i === chosen}
              class={i === chosen ? "chosen" : ""}
              onMouseDown={(e) => {
                e.preventDefault();
                setChosen(-1);
                onSubmit(option);
              }}
            >
              {option}
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}
