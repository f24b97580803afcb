// End-to-end: the real app, in a real window (WebKitWebDriver through tauri-driver, under Xvfb),
// over a library made from the public-domain sample photos. Run by scripts/e2e, which builds the
// app and starts the display and the driver.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, openSync, readFileSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { afterEach, before, test } from "node:test";
import { ENTER, Session } from "./webdriver.mjs";

const { KINDRED_APP, KINDRED_E2E_PHOTOS, KINDRED_E2E_LIBRARY, KINDRED_E2E_SHOTS, KINDRED_E2E_BIG_LIBRARY, KINDRED_E2E_PACKAGED } = process.env;
const { KINDRED_CLI, KINDRED_E2E_WATCHED, KINDRED_E2E_WATCHED_LIBRARY } = process.env;
const DRIVER = process.env.KINDRED_E2E_DRIVER ?? "http://127.0.0.1:4444";
const NAME = "Joe Biden";

function open(library, application = KINDRED_APP) {
  return Session.start(DRIVER, {
    browserName: "wry",
    "tauri:options": { application, args: ["--library", library] },
  });
}

async function shoot(session, name) {
  const png = Buffer.from(await session.screenshot(), "base64");
  writeFileSync(join(KINDRED_E2E_SHOTS, `${name}.png`), png);
}

/** Whether every picture matching `css` has loaded real pixels. */
async function picturesLoaded(session, css) {
  return session.script(
    `const images = [...document.querySelectorAll(arguments[0])];
     return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);`,
    css,
  );
}

async function go(session, tab) {
  await session.click(await session.find(`[data-testid=nav-${tab}]`));
}

// WebKitWebDriver drives one window at a time: each test opens the app and closes it.
let app = null;
before(() => {
  for (const name of ["KINDRED_APP", "KINDRED_E2E_PHOTOS", "KINDRED_E2E_LIBRARY", "KINDRED_E2E_SHOTS"]) {
    assert.ok(process.env[name], `${name} must be set (scripts/e2e sets it)`);
  }
});
afterEach(async () => {
  await app?.end().catch(() => {});
  app = null;
});

/** Runs `body`; on failure, a screenshot of the window shows where it stopped. */
async function screenshotOnFailure(name, body) {
  try {
    await body();
  } catch (error) {
    if (app) await shoot(app, `failed-${name}`).catch(() => {});
    throw error;
  }
}

test("scan, see people, name one, search by the name, see the photos", async () => {
  app = await open(KINDRED_E2E_LIBRARY);
  await screenshotOnFailure("workflow", workflow);
});

async function workflow() {
  await go(app, "library");
  const input = await app.waitFor("[data-testid=folder-input]");
  await app.type(input, KINDRED_E2E_PHOTOS);
  await app.click(await app.find("[data-testid=add-folder]"));
  // Adding a folder scans it and then finds the faces: wait for the faces job's outcome.
  const notice = await app.waitFor("[data-testid=notice]", {
    timeout: 300_000,
    accept: async (e) => (await app.text(e)).includes("faces found"),
    what: "the faces job to finish",
  });
  const outcome = await app.text(notice);
  assert.match(outcome, /6 photos analysed, \d+ faces found/, outcome);
  assert.match(await app.text(await app.find("[data-testid=library-summary]")), /^6 photos in 1 folder/);
  await shoot(app, "1-library");

  await go(app, "people");
  await app.waitFor("[data-testid=person-tile]");
  await app.waitFor("[data-testid=person-tile] img", { accept: () => picturesLoaded(app, "[data-testid=person-tile] img"), what: "face thumbnails" });
  // The sample portrait carries its names in XMP: they arrive as named people.
  const named = await Promise.all((await app.findAll("[data-testid=person-name]")).map((e) => app.text(e)));
  assert.ok(named.includes("Marie Curie"), `named people: ${named}`);
  await shoot(app, "2-people");

  // Name the unnamed group of the two Biden portraits in place.
  let nameInput = null;
  for (const tile of await app.findAll("[data-testid=person-tile]")) {
    const [input] = await app.findAllIn(tile, "[data-testid=name-input]");
    if (input && (await app.text(tile)).includes("2 photos")) nameInput = input;
  }
  assert.ok(nameInput, "an unnamed group of two photos");
  await app.type(nameInput, NAME + ENTER);
  const tile = await app.waitFor("[data-testid=person-tile]", { accept: async (e) => (await app.text(e)).includes(NAME), what: `a person named ${NAME}` });

  // Their page: the two photos.
  await app.click((await app.findAllIn(tile, ".face-button"))[0]);
  await app.waitFor("[data-testid=person-title]", { accept: async (e) => (await app.text(e)) === NAME });
  await app.waitFor("[data-testid=person-photos] [data-testid=photo-tile] img", { accept: () => picturesLoaded(app, "[data-testid=person-photos] img"), what: "the person's photos" });
  assert.equal((await app.findAll("[data-testid=person-photos] [data-testid=photo-tile]")).length, 2);
  await shoot(app, "3-person");

  // Search by the new name.
  await go(app, "search");
  const search = await app.waitFor("[data-testid=search-input]");
  // (Enter may first pick the suggestion the name list offers; the button adds at once.)
  await app.type(search, NAME);
  await app.click(await app.find("[data-testid=search-add]"));
  await app.waitFor("[data-testid=search-count]", { accept: async (e) => (await app.text(e)) === "2 photos", what: "2 photos found" });
  await app.waitFor("[data-testid=search-results] img", { accept: () => picturesLoaded(app, "[data-testid=search-results] img"), what: "search results" });
  await shoot(app, "4-search");

  // One of the photos, with the named face boxed.
  await app.click(await app.find("[data-testid=search-results] [data-testid=photo-tile]"));
  await app.waitFor("[data-testid=face-box]", { accept: async (e) => (await app.text(e)) === NAME, what: `a face box named ${NAME}` });
  await app.waitFor("[data-testid=photo-image]", { accept: () => picturesLoaded(app, "[data-testid=photo-image]"), what: "the photo" });
  await shoot(app, "5-photo");
  // → steps to the other photo of the results.
  const shown = await app.text(await app.find("[data-testid=photo-view] h1"));
  await app.script("window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }))");
  await app.waitFor("[data-testid=photo-view] h1", { accept: async (e) => !["", shown].includes(await app.text(e)), what: "the next photo" });

  await go(app, "settings");
  await app.waitFor("[data-testid=device-info]", { timeout: 120_000, accept: async (e) => (await app.text(e)).startsWith("In use"), what: "the device in use" });
  await shoot(app, "6-settings");

  // Names go into the photos' XMP sidecars, where other programs read them.
  await go(app, "library");
  await app.click(await app.waitFor("[data-testid=write-names]"));
  const written = await app.waitFor("[data-testid=notice]", {
    accept: async (e) => (await app.text(e)).startsWith("names of"),
    what: "names written to photos",
  });
  assert.match(await app.text(written), /^names of \d+ faces written beside [1-9]\d* photos/);
  const sidecar = readFileSync(join(KINDRED_E2E_PHOTOS, "biden-white-house.jpg.xmp"), "utf8");
  assert.ok(sidecar.includes(NAME), "the sidecar names the face");
}

/** What the CLI says of the watched library (another process reading it while the app runs). */
function cli(...args) {
  return JSON.parse(execFileSync(KINDRED_CLI, ["--library", KINDRED_E2E_WATCHED_LIBRARY, "--json", ...args], { encoding: "utf8" }));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("photos copied into a watched folder show in People within seconds, and one still being written waits", { skip: !KINDRED_E2E_WATCHED && "no watched folder given" }, async () => {
  app = await open(KINDRED_E2E_WATCHED_LIBRARY);
  await screenshotOnFailure("watched", async () => {
    await go(app, "people");
    await app.waitFor("[data-testid=people-view]");
    // One face of Joe Biden: alone, so no group yet.
    assert.equal((await app.findAll("[data-testid=person-tile]")).length, 0);
    // Give the window's watcher a moment to start, as a user would take to switch windows.
    await sleep(500);

    // His second photo arrives (a copy, as a file manager makes it): the two faces become a group.
    const copied = Date.now();
    copyFileSync(join(KINDRED_E2E_PHOTOS, "biden-white-house.jpg"), join(KINDRED_E2E_WATCHED, "biden-white-house.jpg"));
    await app.waitFor("[data-testid=person-tile]", {
      timeout: 30_000,
      accept: async (e) => (await app.text(e)).includes("2 photos"),
      what: "a group of his two photos",
    });
    const shown = Date.now() - copied;
    console.log(`BENCH watched folder: a copied photo's face shown in People ${shown} ms after the copy`);
    assert.ok(shown < 10_000, `shown after ${shown} ms`);
    await shoot(app, "9-watched-folder");

    // A large photo written slowly, in pieces with pauses shorter than the watcher's quiet time:
    // it must never be read half-written (a truncated photo would be recorded as an issue).
    const slow = join(KINDRED_E2E_WATCHED, "solvay-slow.jpg");
    const bytes = readFileSync(join(KINDRED_E2E_PHOTOS, "solvay-1927.jpg"));
    const file = openSync(slow, "w");
    const pieces = 12;
    for (let i = 0; i < pieces; i++) {
      const piece = bytes.subarray(Math.floor((i * bytes.length) / pieces), Math.floor(((i + 1) * bytes.length) / pieces));
      writeSync(file, piece);
      await sleep(700);
      const issues = cli("issues").filter((issue) => issue.path.endsWith("solvay-slow.jpg"));
      assert.deepEqual(issues, [], "nothing is read while the file is being written");
    }
    closeSync(file);
    const written = Date.now();
    let photo = null;
    while (!photo && Date.now() - written < 30_000) {
      await sleep(250);
      photo = cli("photos").find((p) => p.path.endsWith("solvay-slow.jpg"));
    }
    assert.ok(photo, "the photo is read once complete");
    assert.equal(photo.status, "ok");
    assert.deepEqual(cli("issues"), []);
    let faces = 0;
    while (faces === 0 && Date.now() - written < 60_000) {
      await sleep(500);
      faces = cli("photo", String(photo.id)).faces.length;
    }
    console.log(`BENCH watched folder: a photo written slowly read and its ${faces} faces found ${Date.now() - written} ms after its last write`);
    assert.ok(faces >= 20, `${faces} faces in the Solvay photo`);
  });
});

test("the People view of a library with 10,000 people opens quickly", { skip: !KINDRED_E2E_BIG_LIBRARY }, async () => {
  try {
    await bigLibrary();
  } catch (error) {
    // WebKit's web process was seen to crash under Xvfb inside Mesa's software GL while grids
    // scrolled fast: a crash of the test display, not of Kindred. Measure once more; any other
    // failure, or a second crash, fails the test.
    if (!/page crash or hang/.test(String(error))) throw error;
    console.log(`the web process crashed (${error.message}); measuring again`);
    await app?.end().catch(() => {});
    await bigLibrary();
  }
});

async function bigLibrary() {
  const big = (app = await open(KINDRED_E2E_BIG_LIBRARY));
  {
    await go(big, "library");
    await big.waitFor("[data-testid=library-summary]");
    const started = Date.now();
    await go(big, "people");
    await big.waitFor("[data-testid=person-tile]", { what: "the first people" });
    const wall = Date.now() - started;
    const counted = await big.text(await big.find("[data-testid=people-count]"));
    const inPage = Number(await big.script("return document.body.dataset.peopleLoadMs"));
    const people = counted.match(/[\d,]+/g).map((n) => Number(n.replace(/,/g, ""))).reduce((a, b) => a + b, 0);
    console.log(`BENCH people view: ${people} people; listed and drawn in ${inPage} ms in the page, ${wall} ms including the driver's round trips`);
    assert.ok(people >= 10_000, `the synthetic library has ${people} people`);
    await shoot(big, "7-people-10k");

    // The person with the most photos: the first page shows at once, the next ones page in
    // while scrolling (the synthetic photos have no pixels; this measures listing and paging).
    const first = (await big.findAll("[data-testid=person-tile]"))[0];
    const opened = Date.now();
    await big.click((await big.findAllIn(first, ".face-button"))[0]);
    await big.waitFor("[data-testid=person-photos] [data-testid=photo-tile]", { what: "the first photos" });
    const firstPage = Date.now() - opened;
    const header = await big.text(await big.find("[data-testid=person-view] .view-header p"));
    const total = Number(header.match(/^([\d,]+) photos/)[1].replace(/,/g, ""));
    // Five pages of 200, scrolling to the end of each as a reader would.
    const wanted = Math.min(total, 1000);
    const scrolling = Date.now();
    let loaded = 0;
    while (loaded < wanted && Date.now() - scrolling < 60_000) {
      loaded = Number(
        await big.script(`const grid = document.querySelector("[data-testid=person-photos]");
          grid.scrollTop = grid.scrollHeight;
          return grid.dataset.count;`),
      );
      if (loaded < wanted) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    console.log(`BENCH person view: ${total} photos; first page shown in ${firstPage} ms, ${Math.round(loaded / 200)} pages of 200 scrolled through in ${Date.now() - scrolling} ms`);
    assert.ok(loaded >= wanted, `${loaded} of ${wanted} photos listed`);
  }
}

test("the app installed from the .deb runs with the face models it ships", { skip: !KINDRED_E2E_PACKAGED && "no unpacked .deb given" }, async () => {
  // KINDRED_E2E_PACKAGED is the root of the unpacked package (usr/bin, usr/lib/Kindred, ...).
  app = await open(join(KINDRED_E2E_PACKAGED, "library.db"), join(KINDRED_E2E_PACKAGED, "usr/bin/kindred-app"));
  await screenshotOnFailure("packaged", async () => {
    await go(app, "settings");
    await app.waitFor("[data-testid=device-info]", { timeout: 120_000, accept: async (e) => (await app.text(e)).startsWith("In use"), what: "the device in use" });
    const models = await app.text(await app.waitFor("[data-testid=models-dir]"));
    assert.equal(models, `Face models: ${join(KINDRED_E2E_PACKAGED, "usr/lib/Kindred/models")}`);
    await shoot(app, "8-packaged-settings");
  });
});
