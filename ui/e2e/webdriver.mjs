// A small W3C WebDriver client (tauri-driver speaks the protocol), so the end-to-end tests need
// nothing beyond Node itself.
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, capabilities) {
    const value = await request(base, "POST", "/session", { capabilities: { alwaysMatch: capabilities } });
    return new Session(base, value.sessionId);
  }

  command(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async find(css) {
    const value = await this.command("POST", "/element", { using: "css selector", value: css });
    return value[ELEMENT];
  }

  async findAll(css) {
    const value = await this.command("POST", "/elements", { using: "css selector", value: css });
    return value.map((e) => e[ELEMENT]);
  }

  async findAllIn(element, css) {
    const value = await this.command("POST", `/element/${element}/elements`, { using: "css selector", value: css });
    return value.map((e) => e[ELEMENT]);
  }

  /** Waits until `css` matches an element for which `accept(element)` holds. */
  async waitFor(css, { timeout = 30_000, accept = async () => true, what = css } = {}) {
    const deadline = Date.now() + timeout;
    let last = null;
    while (Date.now() < deadline) {
      try {
        for (const element of await this.findAll(css)) {
          if (await accept(element)) return element;
        }
      } catch (error) {
        last = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? ` (${last.message})` : ""}`);
  }

  click(element) {
    return this.command("POST", `/element/${element}/click`, {});
  }

  type(element, text) {
    return this.command("POST", `/element/${element}/value`, { text });
  }

  /** The element's text as the page has it (WebKitWebDriver's own "visible text" misses text
   * inside transformed grid cells). */
  text(element) {
    return this.script("return arguments[0].textContent.trim()", { [ELEMENT]: element });
  }

  /** W3C input actions (keys held while the pointer clicks or drags). */
  actions(sources) {
    return this.command("POST", "/actions", { actions: sources });
  }

  releaseActions() {
    return this.command("DELETE", "/actions");
  }

  /** Clicks `element` with modifier keys held (e.g. [CONTROL] or [SHIFT]). */
  async clickWith(element, keys) {
    const ticks = keys.length;
    const pause = { type: "pause", duration: 0 };
    await this.actions([
      { type: "key", id: "keyboard", actions: [...keys.map((value) => ({ type: "keyDown", value })), pause, pause, pause, ...keys.map((value) => ({ type: "keyUp", value }))] },
      {
        type: "pointer",
        id: "mouse",
        parameters: { pointerType: "mouse" },
        actions: [
          ...Array.from({ length: ticks }, () => pause),
          { type: "pointerMove", origin: { [ELEMENT]: element }, x: 0, y: 0, duration: 0 },
          { type: "pointerDown", button: 0 },
          { type: "pointerUp", button: 0 },
        ],
      },
    ]);
    await this.releaseActions();
  }

  /** Drags the mouse over `element` from one point to another (offsets from its centre). */
  async drag(element, from, to) {
    await this.actions([
      {
        type: "pointer",
        id: "mouse",
        parameters: { pointerType: "mouse" },
        actions: [
          { type: "pointerMove", origin: { [ELEMENT]: element }, x: Math.round(from.x), y: Math.round(from.y), duration: 0 },
          { type: "pointerDown", button: 0 },
          { type: "pointerMove", origin: { [ELEMENT]: element }, x: Math.round((from.x + to.x) / 2), y: Math.round((from.y + to.y) / 2), duration: 50 },
          { type: "pointerMove", origin: { [ELEMENT]: element }, x: Math.round(to.x), y: Math.round(to.y), duration: 50 },
          { type: "pointerUp", button: 0 },
        ],
      },
    ]);
    await this.releaseActions();
  }

  script(source, ...args) {
    return this.command("POST", "/execute/sync", { script: source, args });
  }

  screenshot() {
    return this.command("GET", "/screenshot");
  }

  end() {
    return this.command("DELETE", "");
  }
}

async function request(base, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok || json.value?.error) {
    throw new Error(`${method} ${path}: ${json.value?.error ?? response.status}: ${json.value?.message ?? ""}`);
  }
  return json.value;
}

export const ENTER = "\uE007";
export const ESCAPE = "\uE00C";
export const SHIFT = "\uE008";
export const CONTROL = "\uE009";
