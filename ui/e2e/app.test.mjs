// End-to-end: the real app, in a real window (WebKitWebDriver through tauri-driver, under Xvfb),
// over a library made from the public-domain sample photos. Run by scripts/e2e, which builds the
// app and starts the display and the driver.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, openSync, readFileSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { afterEach, before, test } from "node:test";
import { CONTROL, ENTER, ESCAPE, SHIFT, Session } from "./webdriver.mjs";

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
  assert.match(outcome, /7 photos analysed, \d+ faces found/, outcome);
  assert.match(await app.text(await app.find("[data-testid=library-summary]")), /^7 photos in 1 folder/);
  await shoot(app, "01-library");

  await go(app, "people");
  await app.waitFor("[data-testid=person-tile]");
  await app.waitFor("[data-testid=person-tile] img", { accept: () => picturesLoaded(app, "[data-testid=person-tile] img"), what: "face thumbnails" });
  // The sample portrait carries its names in XMP: they arrive as named people.
  const named = await Promise.all((await app.findAll("[data-testid=person-name]")).map((e) => app.text(e)));
  assert.ok(named.includes("Marie Curie"), `named people: ${named}`);
  await shoot(app, "02-people");

  // Name people: the largest unnamed groups one after another; the two Biden portraits are a
  // group of two photos. Others are skipped with Escape, the Biden group is named by typing.
  await go(app, "name");
  let group = await app.waitFor("[data-testid=name-group]", { what: "an unnamed group to name" });
  await app.waitFor("[data-testid=mosaic] img", { accept: () => picturesLoaded(app, "[data-testid=mosaic] img"), what: "the group's mosaic" });
  await shoot(app, "03-name-people");
  for (let skipped = 0; !(await app.text(group)).includes("2 faces in 2 photos"); skipped++) {
    assert.ok(skipped < 20, "an unnamed group of two photos");
    const shown = await app.script("return document.querySelector('[data-testid=name-group]').dataset.groupId");
    await app.type(await app.find("[data-testid=group-name]"), ESCAPE);
    group = await app.waitFor("[data-testid=name-group]", { accept: async (e) => (await app.script("return arguments[0].dataset.groupId", { "element-6066-11e4-a52e-4f735466cecf": e })) !== shown, what: "the next group" });
  }
  await app.type(await app.find("[data-testid=group-name]"), NAME + ENTER);
  await app.waitFor("[data-testid=settled-count]", { accept: async (e) => (await app.text(e)) === "2 faces settled", what: "the group named" });
  await app.click(await app.find("[data-testid=mode-review]"));
  await app.waitFor("[data-testid=review], [data-testid=review-done]", { what: "the review questions" });
  await shoot(app, "04-is-this-them");

  await go(app, "people");
  const tile = await app.waitFor("[data-testid=person-tile]", { accept: async (e) => (await app.text(e)).includes(NAME), what: `a person named ${NAME}` });
  // Their page: the two photos.
  await app.click((await app.findAllIn(tile, ".face-button"))[0]);
  await app.waitFor("[data-testid=person-title]", { accept: async (e) => (await app.text(e)) === NAME });
  await app.waitFor("[data-testid=person-photos] [data-testid=photo-tile] img", { accept: () => picturesLoaded(app, "[data-testid=person-photos] img"), what: "the person's photos" });
  assert.equal((await app.findAll("[data-testid=person-photos] [data-testid=photo-tile]")).length, 2);
  await shoot(app, "05-person");

  // Photos: every photo; "only these" people leaves out photos with anyone else.
  await go(app, "photos");
  await app.waitFor("[data-testid=search-count]", { accept: async (e) => (await app.text(e)) === "7 photos", what: "every photo" });
  await app.waitFor("[data-testid=timeline] img", { accept: () => picturesLoaded(app, "[data-testid=timeline] img"), what: "the photos" });
  await shoot(app, "06-photos");
  const addPerson = async (name) => {
    await app.type(await app.find("[data-testid=search-input]"), name);
    await app.click(await app.find("[data-testid=search-add]"));
  };
  const photosCounted = (text) => app.waitFor("[data-testid=search-count]", { accept: async (e) => (await app.text(e)) === text, what: text });
  await addPerson("Marie Curie");
  // Her two portraits, and the Solvay conference of 1927 when recognition finds her there.
  await app.waitFor("[data-testid=search-count]", { accept: async (e) => /^[23] photos$/.test(await app.text(e)), what: "her photos" });
  await app.script("const s = document.querySelector('[data-testid=search-mode]'); s.value = 'only'; s.dispatchEvent(new Event('change', { bubbles: true }));");
  await photosCounted("0 photos");
  await addPerson("Pierre Curie");
  await photosCounted("2 photos");
  await app.waitFor("[data-testid=timeline] img", { accept: () => picturesLoaded(app, "[data-testid=timeline] img"), what: "the photos of only Marie and Pierre" });
  await shoot(app, "07-only-these");

  // The photos of the new name; one opened, with the named face boxed; → steps to the next.
  await app.click(await app.find("button[aria-label='Remove Marie Curie']"));
  await app.click(await app.find("button[aria-label='Remove Pierre Curie']"));
  await addPerson(NAME);
  await photosCounted("2 photos");
  await app.click(await app.waitFor("[data-testid=timeline] [data-testid=photo-tile]"));
  await app.waitFor("[data-testid=face-box]", { accept: async (e) => (await app.text(e)) === NAME, what: `a face box named ${NAME}` });
  await app.waitFor("[data-testid=photo-image]", { accept: () => picturesLoaded(app, "[data-testid=photo-image]"), what: "the photo" });
  await shoot(app, "08-photo");
  const shown = await app.text(await app.find("[data-testid=photo-view] h1"));
  await app.script("window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }))");
  await app.waitFor("[data-testid=photo-view] h1", { accept: async (e) => !["", shown].includes(await app.text(e)), what: "the next photo" });

  // An album, made in Albums and filled from Photos with Ctrl-click and Shift-click.
  await go(app, "albums");
  await app.click(await app.waitFor("[data-testid=new-album]"));
  await app.type(await app.waitFor("[data-testid=new-album-input]"), "Family" + ENTER);
  await app.waitFor("[data-testid=album-title]", { accept: async (e) => (await app.text(e)) === "Family", what: "the new album" });
  await go(app, "photos");
  await photosCounted("7 photos");
  await app.waitFor("[data-testid=timeline] [data-testid=photo-tile]");
  const cell = (i) => app.find(`[data-testid=timeline] .cell[data-index="${i}"] [data-testid=photo-tile]`);
  await app.clickWith(await cell(1), [CONTROL]);
  await app.clickWith(await cell(3), [SHIFT]);
  await app.waitFor("[data-testid=selection-count]", { accept: async (e) => (await app.text(e)) === "3 selected", what: "three photos selected" });
  await app.click(await app.find("[data-testid=add-to-album]"));
  await app.type(await app.waitFor("[data-testid=album-picker]"), "Family" + ENTER);
  await app.waitFor("[data-testid=notice]", { accept: async (e) => (await app.text(e)).startsWith("3 photos added to “Family”"), what: "the photos added" });
  await go(app, "albums");
  const card = await app.waitFor("[data-testid=album-card]", { accept: async (e) => (await app.text(e)).includes("3 photos"), what: "the album with its photos" });
  await shoot(app, "09-albums");
  await app.click(card);
  await photosCounted("3 photos");
  await app.waitFor("[data-testid=timeline] img", { accept: () => picturesLoaded(app, "[data-testid=timeline] img"), what: "the album's photos" });
  await shoot(app, "10-album");

  // A face the detector missed (far off in a field), drawn and named.
  await go(app, "photos");
  const field = await app.waitFor("[data-testid=timeline] [data-testid=photo-tile][title^='distant-face.jpg']", { what: "the photo of the field" });
  await app.click(field);
  await app.waitFor("[data-testid=photo-image]", { accept: () => picturesLoaded(app, "[data-testid=photo-image]"), what: "the field" });
  assert.equal((await app.findAll("[data-testid=face-box]")).length, 0, "no face found in the field");
  await app.click(await app.find("[data-testid=draw-face]"));
  // The face is at about (2229, 1518, 48, 66) in the 3200 × 2400 photo: a box a little wider.
  const frame = await app.find("[data-testid=photo-frame]");
  const size = await app.script("const r = arguments[0].getBoundingClientRect(); return [r.width, r.height];", { "element-6066-11e4-a52e-4f735466cecf": frame });
  const at = (x, y) => ({ x: (x / 3200 - 0.5) * size[0], y: (y / 2400 - 0.5) * size[1] });
  await app.drag(frame, at(2215, 1505), at(2290, 1595));
  const panel = await app.waitFor("[data-testid=face-panel]", { timeout: 120_000, what: "the face added" });
  assert.ok((await app.text(panel)).includes("You drew this face"), await app.text(panel));
  await app.type(await app.find("[data-testid=person-picker]"), "Someone far off" + ENTER);
  await app.waitFor("[data-testid=face-box]", { accept: async (e) => (await app.text(e)) === "Someone far off", what: "the drawn face named" });
  await shoot(app, "11-drawn-face");

  // The shortcuts, from anywhere.
  await app.script("window.dispatchEvent(new KeyboardEvent('keydown', { key: '?' }))");
  await app.waitFor("[data-testid=help]");
  await shoot(app, "12-help");
  await app.script("window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }))");

  await go(app, "settings");
  await app.waitFor("[data-testid=device-info]", { timeout: 120_000, accept: async (e) => (await app.text(e)).startsWith("In use"), what: "the device in use" });
  await shoot(app, "13-settings");

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
    assert.equal((await app.findAll("[data-testid=more-tile]")).length, 0);
    // Give the window's watcher a moment to start, as a user would take to switch windows.
    await sleep(500);

    // His second photo arrives (a copy, as a file manager makes it): the two faces become a group,
    // a small one, so it waits under More.
    const copied = Date.now();
    copyFileSync(join(KINDRED_E2E_PHOTOS, "biden-white-house.jpg"), join(KINDRED_E2E_WATCHED, "biden-white-house.jpg"));
    const more = await app.waitFor("[data-testid=more-tile]", { timeout: 30_000, what: "a small group under More" });
    const shown = Date.now() - copied;
    console.log(`BENCH watched folder: a copied photo's face shown in People ${shown} ms after the copy`);
    assert.ok(shown < 10_000, `shown after ${shown} ms`);
    await app.click(more);
    await app.waitFor("[data-testid=person-tile]", {
      accept: async (e) => (await app.text(e)).includes("2 photos"),
      what: "a group of his two photos",
    });
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

test("the Photos and People views of a library of 240,000 faces open and scroll quickly", { skip: !KINDRED_E2E_BIG_LIBRARY }, async () => {
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

/** Waits until the grid `css` has `count` items loaded (its data-loaded or data-count). */
async function waitLoaded(session, css, wanted, attribute) {
  const started = Date.now();
  while (Date.now() - started < 60_000) {
    const loaded = Number(await session.script(`return document.querySelector(arguments[0])?.dataset.${attribute} ?? 0`, css));
    if (loaded >= wanted) return loaded;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${css} did not load ${wanted} items`);
}

async function bigLibrary() {
  const big = (app = await open(KINDRED_E2E_BIG_LIBRARY));
  await go(big, "library");
  await big.waitFor("[data-testid=library-summary]");

  // Photos: the newest first page, then ten pages scrolled through, then a year back.
  {
    const started = Date.now();
    await go(big, "photos");
    await big.waitFor("[data-testid=timeline] [data-testid=photo-tile]", { what: "the first photos" });
    const wall = Date.now() - started;
    let inPage;
    while ((inPage = await big.script("return document.body.dataset.photosLoadMs")) === null) await new Promise((resolve) => setTimeout(resolve, 20));
    const count = await big.waitFor("[data-testid=search-count]", { accept: async (e) => /\d/.test(await big.text(e)), what: "the count of photos" });
    const total = Number((await big.text(count)).replace(/\D/g, ""));
    console.log(`BENCH photos view: ${total} photos; first page listed and drawn in ${inPage} ms in the page, ${wall} ms after the click including the driver's round trips`);
    assert.ok(total >= 100_000, `the synthetic library has ${total} photos`);
    await shoot(big, "14-photos-240k");
    // Each step scrolls on by the rows of a page of 200 photos, as a reader paging down does,
    // and is done when that page is listed and no tile in view still waits for its photo.
    const scrolledBy = (pixels) =>
      big.script(
        `const grid = document.querySelector("[data-testid=timeline]");
         if (arguments[0]) {
           grid.scrollTop += arguments[0];
           grid.dispatchEvent(new Event("scroll"));
         }
         return new Promise((resolve) => requestAnimationFrame(() => {
           const view = grid.getBoundingClientRect();
           const waiting = [...grid.querySelectorAll(".photo-tile.loading")].filter((tile) => {
             const box = tile.getBoundingClientRect();
             return box.bottom > view.top && box.top < view.bottom;
           }).length;
           resolve({ loaded: Number(grid.dataset.loaded ?? 0), waiting });
         }));`,
        pixels,
      );
    const pageRows = await big.script(
      `const grid = document.querySelector("[data-testid=timeline]");
       return Math.ceil(200 / Math.max(1, Math.floor(grid.clientWidth / 180))) * 180;`,
    );
    const scrolling = Date.now();
    for (let page = 1; page <= 10; page++) {
      const wanted = (page + 1) * 200;
      const deadline = Date.now() + 60_000;
      let state = await scrolledBy(pageRows);
      while (state.loaded < wanted || state.waiting > 0) {
        assert.ok(Date.now() < deadline, `the timeline did not show page ${page} (${JSON.stringify(state)})`);
        state = await scrolledBy(0);
      }
    }
    console.log(`BENCH photos view: 10 pages of 200 scrolled through in ${Date.now() - scrolling} ms`);
    // Every command the view asked (the listing, its months, the filter bar's lists) answered.
    const errors = await big.script(`return [...document.querySelectorAll("[data-testid=notice].error")].map((e) => e.textContent)`);
    assert.deepEqual(errors, [], "the Photos view shows no error");

    // A year back with the scrubber: the newest year is the first button, the year before it
    // the second; its newest month comes to the top.
    const years = await big.findAll("[data-testid=year-button]");
    const year = await big.text(years[1]);
    const jumped = Date.now();
    await big.click(years[1]);
    await big.waitFor("[data-testid=month-header]", { accept: async (e) => (await big.text(e)).endsWith(` ${year}`) || (await big.text(e)).includes(` ${year} `), what: `a month of ${year}` });
    await big.waitFor("[data-testid=timeline] [data-testid=photo-tile]", {
      accept: async (e) => (await big.script("return arguments[0].title", { "element-6066-11e4-a52e-4f735466cecf": e })).includes(` · ${year}-`),
      what: `photos of ${year}`,
    });
    console.log(`BENCH photos view: a year back (${year}) shown in ${Date.now() - jumped} ms`);
    await shoot(big, "15-photos-a-year-back");
  }

  {
    const started = Date.now();
    await go(big, "people");
    await big.waitFor("[data-testid=person-tile]", { what: "the first people" });
    const wall = Date.now() - started;
    const counted = await big.text(await big.find("[data-testid=people-count]"));
    const inPage = Number(await big.script("return document.body.dataset.peopleLoadMs"));
    const people = counted.match(/[\d,]+/g).map((n) => Number(n.replace(/,/g, ""))).reduce((a, b) => a + b, 0);
    console.log(`BENCH people view: ${people} people; first page listed and drawn in ${inPage} ms in the page, ${wall} ms including the driver's round trips`);
    assert.ok(people >= 10_000, `the synthetic library has ${people} people`);
    await shoot(big, "16-people-240k");

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
    await shoot(app, "17-packaged-settings");
  });
});
