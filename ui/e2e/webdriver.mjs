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
