import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ALL_PHOTOS } from "../src/api";
import { getState, setState } from "../src/store";
import { PAGE, PhotosView, monthTitle, monthsOfPhotos, yearsOf } from "../src/views/Photos";
import { AlbumsView } from "../src/views/Albums";
import { cleanup, click, clickWith, key, mockCommands, mount, person, photoCards, settle, submit, type } from "./helpers";

beforeEach(() => {
  setState({ job: null, notice: null, lastOutcome: null, browsing: [], browsingQuery: null, help: false });
  location.hash = "";
});
afterEach(cleanup);

/** 36 months of 30 photos, March 2021 back to April 2018, and 4 without a date. */
const MONTHS = [
  ...Array.from({ length: 36 }, (_, i) => {
    const date = new Date(Date.UTC(2021, 2 - i, 1));
    return { month: `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, "0")}`, photos: 30 };
  }),
  { month: null, photos: 4 },
];

function library(extra: (command: string, args: Record<string, unknown>) => unknown = () => undefined) {
  return mockCommands((command, args) => {
    const answer = extra(command, args);
    if (answer !== undefined) return answer;
    switch (command) {
      case "photo_months":
        return MONTHS;
      case "photo_page":
        return { photos: photoCards(1000 + (args.offset as number), args.limit as number), more: true };
      case "named_people":
        return [person(1, "Ada"), person(2, "Bo")];
      case "list_albums":
        return [{ id: 4, name: "Summer", photos: 2, coverPhoto: 1000 }];
      case "folder_albums":
        return [
          { path: "/pics", name: "/pics", depth: 0, photos: 10 },
          { path: "/pics/2020", name: "2020", depth: 1, photos: 6 },
        ];
      default:
        return null;
    }
  });
}

describe("Photos", () => {
  it("names months and groups them in years, newest first", () => {
    expect(monthTitle("2019-07")).toMatch(/July 2019|2019/);
    expect(monthTitle(null)).toBe("Date unknown");
    expect(yearsOf(MONTHS).map((y) => y.year)).toEqual(["2021", "2020", "2019", "2018", "Undated"]);
    expect(yearsOf(MONTHS)[1]).toEqual({ year: "2020", section: 3 });
    const page = [{ id: 1, fileName: "a.jpg", takenAt: "2021-03-02T10:00:00" }, { id: 2, fileName: "b.jpg", takenAt: "2021-03-01T09:00:00" }, { id: 3, fileName: "c.jpg", takenAt: "2020-12-24T18:00:00" }, { id: 4, fileName: "d.jpg", takenAt: null }];
    expect(monthsOfPhotos(page)).toEqual([{ month: "2021-03", photos: 2 }, { month: "2020-12", photos: 1 }, { month: null, photos: 1 }]);
  });

  it("shows the newest months first and loads the pages in view and the next one", async () => {
    const calls = library();
    const view = await mount(<PhotosView />);
    expect(view.querySelector("[data-testid=search-count]")!.textContent).toBe("1,084 photos");
    const headers = [...view.querySelectorAll("[data-testid=month-header]")].map((h) => h.textContent);
    expect(headers[0]).toContain("2021");
    expect(headers.length).toBeLessThan(10);
    // The first page is in view; the second is read ahead; the other three wait for scrolling.
    const pages = calls.filter((c) => c.command === "photo_page").map((c) => c.args.offset);
    expect(pages).toEqual([0, PAGE]);
    expect(view.querySelectorAll("[data-testid=photo-tile]").length).toBeGreaterThan(0);
  });

  it("shows the first page before the months of the whole listing are counted", async () => {
    // Months still being counted (a large library): the first page's own months stand in.
    library((command, args) => {
      if (command === "photo_months") return new Promise(() => {});
      if (command === "photo_page" && args.offset === 0) {
        return { photos: photoCards(1000, PAGE).map((p, i) => ({ ...p, takenAt: i < 120 ? "2021-03-02T10:00:00" : "2021-02-01T10:00:00" })), more: true };
      }
      return undefined;
    });
    const view = await mount(<PhotosView />);
    expect(view.querySelector("[data-testid=search-count]")!.textContent).toBe("Loading…");
    expect(view.querySelectorAll("[data-testid=photo-tile]").length).toBeGreaterThan(0);
    const headers = [...view.querySelectorAll("[data-testid=month-header]")].map((h) => h.textContent ?? "");
    expect(headers[0]).toMatch(/2021.*120/);
    expect(view.querySelectorAll("[data-testid=year-button]").length).toBe(0);
  });

  it("jumps back a year with the scrubber, loading the page there", async () => {
    const calls = library();
    const view = await mount(<PhotosView />);
    const year = [...view.querySelectorAll<HTMLButtonElement>("[data-testid=year-button]")].find((b) => b.textContent === "2019")!;
    await click(year);
    const headers = [...view.querySelectorAll("[data-testid=month-header]")].map((h) => h.textContent ?? "");
    expect(headers.some((h) => h.includes("2019"))).toBe(true);
    expect(headers.some((h) => h.includes("2021"))).toBe(false);
    // December 2019 is the 16th month: its photos start at 15 × 30 = 450, in the third page.
    const offsets = calls.filter((c) => c.command === "photo_page").map((c) => c.args.offset);
    expect(offsets).toContain(2 * PAGE);
    expect(year.classList.contains("current")).toBe(true);
  });

  it("finds photos with only the chosen people, in an album", async () => {
    const calls = library();
    const view = await mount(<PhotosView />);
    const input = view.querySelector<HTMLInputElement>("[data-testid=search-input]")!;
    await type(input, "ada");
    await submit(input.form!);
    const mode = view.querySelector<HTMLSelectElement>("[data-testid=search-mode]")!;
    mode.value = "only";
    mode.dispatchEvent(new Event("change", { bubbles: true }));
    const place = view.querySelector<HTMLSelectElement>("[data-testid=filter-place]")!;
    place.value = "album:4";
    place.dispatchEvent(new Event("change", { bubbles: true }));
    await settle();
    const last = calls.filter((c) => c.command === "photo_months").at(-1)!.args.query;
    expect(last).toEqual({ ...ALL_PHOTOS, people: [1], peopleMatch: "only", album: 4 });
    expect(calls.filter((c) => c.command === "photo_page").map((c) => c.args)).toContainEqual(expect.objectContaining({ query: last, offset: 0 }));
    expect([...view.querySelectorAll("[data-testid=search-chip]")].map((c) => c.textContent)).toEqual(["Ada×"]);
  });

  it("selects with Ctrl- and Shift-click and puts the photos in a new album", async () => {
    const calls = library((command) => (command === "create_album" ? 9 : undefined));
    const view = await mount(<PhotosView />);
    const cell = (i: number) => view.querySelector(`.cell[data-index="${i}"]`)!;
    await clickWith(cell(1), { ctrlKey: true });
    await clickWith(cell(4), { shiftKey: true });
    expect(view.querySelector("[data-testid=selection-count]")!.textContent).toBe("4 selected");
    await click(view.querySelector("[data-testid=add-to-album]")!);
    const picker = view.querySelector<HTMLInputElement>("[data-testid=album-picker]")!;
    await type(picker, "Beach");
    await key(picker, "Enter");
    expect(calls.find((c) => c.command === "create_album")?.args).toEqual({ name: "Beach", photos: [1001, 1002, 1003, 1004] });
    expect(view.querySelector("[data-testid=selection-bar]")).toBeNull();
  });

  it("adds to an album that has the name typed, chosen from the suggestions", async () => {
    const calls = library((command) => (command === "add_to_album" ? 1 : undefined));
    const view = await mount(<PhotosView />);
    await clickWith(view.querySelector(`.cell[data-index="0"]`)!, { ctrlKey: true });
    await click(view.querySelector("[data-testid=add-to-album]")!);
    const picker = view.querySelector<HTMLInputElement>("[data-testid=album-picker]")!;
    await type(picker, "sum");
    await key(picker, "ArrowDown");
    await key(picker, "Enter");
    expect(calls.find((c) => c.command === "add_to_album")?.args).toEqual({ id: 4, photos: [1000] });
  });

  it("opens a photo with the listing to step through, by click or by keyboard", async () => {
    library();
    const view = await mount(<PhotosView />);
    await click(view.querySelector(`.cell[data-index="2"] [data-testid=photo-tile]`)!);
    expect(location.hash).toBe("#/photo/1002");
    expect(getState().browsingQuery).toEqual({ query: ALL_PHOTOS, index: 2 });
    const grid = view.querySelector("[data-testid=timeline]")!;
    await key(grid, "ArrowRight");
    await key(grid, "ArrowRight");
    await key(grid, "Enter");
    expect(location.hash).toBe("#/photo/1004");
  });

  it("shows an album with its name, and takes photos out of it", async () => {
    const calls = library((command) => (command === "album_detail" ? { id: 4, name: "Summer", photos: 2, coverPhoto: 1000 } : command === "remove_from_album" ? 1 : undefined));
    const view = await mount(<PhotosView album={4} />);
    expect(view.querySelector("[data-testid=album-title]")!.textContent).toBe("Summer");
    expect(calls.find((c) => c.command === "photo_months")!.args.query).toEqual({ ...ALL_PHOTOS, album: 4 });
    await clickWith(view.querySelector(`.cell[data-index="0"]`)!, { ctrlKey: true });
    await click(view.querySelector("[data-testid=remove-from-album]")!);
    expect(calls.find((c) => c.command === "remove_from_album")?.args).toEqual({ id: 4, photos: [1000] });
  });
});

describe("Albums", () => {
  it("lists the user's albums, named people and folders nested as on disk", async () => {
    library();
    const view = await mount(<AlbumsView />);
    expect([...view.querySelectorAll("[data-testid=album-card]")].map((a) => a.getAttribute("href"))).toEqual(["#/album/4"]);
    expect([...view.querySelectorAll("[data-testid=person-album]")].map((a) => a.textContent)).toEqual(["Ada3 photos", "Bo3 photos"]);
    const folders = [...view.querySelectorAll<HTMLAnchorElement>("[data-testid=folder-row]")];
    expect(folders.map((f) => f.getAttribute("href"))).toEqual(["#/folder/%2Fpics", "#/folder/%2Fpics%2F2020"]);
    expect((folders[1].parentElement as HTMLElement).style.paddingLeft).toBe("20px");
  });

  it("makes an album and opens it", async () => {
    const calls = library((command) => (command === "create_album" ? 12 : undefined));
    const view = await mount(<AlbumsView />);
    await click(view.querySelector("[data-testid=new-album]")!);
    const input = view.querySelector<HTMLInputElement>("[data-testid=new-album-input]")!;
    await type(input, " Grandma's 80th ");
    await submit(input.form!);
    expect(calls.find((c) => c.command === "create_album")?.args).toEqual({ name: "Grandma's 80th", photos: [] });
    expect(location.hash).toBe("#/album/12");
  });
});
