import { type ComponentChild, render } from "preact";
import { act } from "preact/test-utils";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";

export type Handler = (command: string, args: Record<string, unknown>) => unknown;

/** Mocks the app's commands; every call is recorded. */
export function mockCommands(handler: Handler) {
  const calls: { command: string; args: Record<string, unknown> }[] = [];
  mockIPC((command, args) => {
    const payload = (args ?? {}) as Record<string, unknown>;
    calls.push({ command, args: payload });
    return handler(command, payload);
  });
  return calls;
}

export async function mount(node: ComponentChild) {
  const container = document.createElement("div");
  document.body.appendChild(container);
  await act(async () => {
    render(node, container);
  });
  await settle();
  return container;
}

/** Lets pending promises and effects run. */
export async function settle() {
  for (let i = 0; i < 5; i++) {
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
  }
}

export async function type(input: HTMLInputElement, text: string) {
  await act(async () => {
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

export async function submit(form: HTMLFormElement) {
  await act(async () => {
    form.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  });
  await settle();
}

export async function click(element: Element) {
  await act(async () => {
    (element as HTMLElement).click();
  });
  await settle();
}

export function cleanup() {
  clearMocks();
  document.body.innerHTML = "";
}

export function person(id: number, name: string | null, faces = 3) {
  return { id, name, hidden: false, faces, confirmed: name ? 1 : 0, photos: faces, coverFace: (id * 10) as number | null, birthDate: null as string | null };
}

/** A pointer event at (x, y) of the window. */
export async function pointer(target: Element, type: string, x: number, y: number, init: MouseEventInit = {}) {
  await act(async () => {
    target.dispatchEvent(new MouseEvent(type, { clientX: x, clientY: y, button: 0, bubbles: true, cancelable: true, ...init }));
  });
  await settle();
}

export async function key(target: EventTarget, key: string, init: KeyboardEventInit = {}) {
  await act(async () => {
    target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...init }));
  });
  await settle();
}

/** A click with modifier keys held. */
export async function clickWith(element: Element, init: MouseEventInit) {
  await act(async () => {
    element.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, button: 0, ...init }));
  });
  await settle();
}

export function photoCards(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({ id: from + i, fileName: `${from + i}.jpg`, takenAt: null }));
}
