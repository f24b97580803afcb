import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setState } from "../src/store";
import { PeopleView, orderPeople } from "../src/views/People";
import { NamePeopleView } from "../src/views/NamePeople";
import { Help } from "../src/components/Help";
import { App } from "../src/App";
import { cleanup, click, clickWith, key, mockCommands, mount, person, settle, submit, type } from "./helpers";

beforeEach(() => {
  setState({ job: null, notice: null, lastOutcome: null, browsing: [], browsingQuery: null, help: false });
  location.hash = "";
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

function page(people: ReturnType<typeof person>[], counts: Partial<{ total: number; named: number; groups: number; smallGroups: number }> = {}) {
  return { people, total: people.length, named: people.filter((p) => p.name).length, groups: people.filter((p) => !p.name).length, smallGroups: 0, ...counts };
}

describe("People", () => {
  it("orders named people first, then groups by size", () => {
    const ordered = orderPeople([person(1, null, 2), person(2, "Zoe"), person(3, null, 9), person(4, "Ada"), person(5, "Person 10"), person(6, "person 9")]);
    expect(ordered.map((p) => p.id)).toEqual([4, 6, 5, 2, 3, 1]);
  });

  it("names an unnamed group in place", async () => {
    const calls = mockCommands((command) => (command === "people_page" ? page([person(1, "Ada"), person(2, null)]) : 2));
    const view = await mount(<PeopleView />);
    expect(view.querySelectorAll("[data-testid=person-tile]")).toHaveLength(2);
    const input = view.querySelector<HTMLInputElement>("[data-testid=name-input]")!;
    await type(input, "  Grace  ");
    await submit(input.form!);
    expect(calls.find((c) => c.command === "name_person")?.args).toEqual({ id: 2, name: "Grace" });
  });

  it("keeps small groups under More, with their count, until asked for", async () => {
    const small = [person(30, null, 1), person(31, null, 2)];
    const calls = mockCommands((command, args) => {
      const query = args.query as { section: string; search: string | null };
      if (command !== "people_page") return null;
      if (query.search) return page([person(31, null, 2)]);
      return query.section === "main" ? page([person(1, "Ada"), person(2, null, 9)], { groups: 3, smallGroups: 2 }) : page(small);
    });
    const view = await mount(<PeopleView />);
    expect(view.querySelector("[data-testid=people-count]")!.textContent).toBe("1 named, 3 unnamed groups");
    const more = view.querySelector("[data-testid=more-tile]")!;
    expect(more.textContent).toContain("+2");
    await click(more);
    expect(calls.filter((c) => c.command === "people_page").map((c) => (c.args.query as { section: string }).section)).toEqual(["main", "more"]);
    expect(view.querySelectorAll("[data-testid=person-tile]")).toHaveLength(4);
    expect(view.querySelector("[data-testid=more-tile]")).toBeNull();
    // A search covers the small groups too.
    await type(view.querySelector<HTMLInputElement>("[data-testid=people-filter]")!, "31");
    await new Promise((resolve) => setTimeout(resolve, 250));
    await settle();
    expect(calls.filter((c) => c.command === "people_page").at(-1)!.args.query).toMatchObject({ search: "31", offset: 0 });
    expect([...view.querySelectorAll("[data-testid=person-tile]")].map((t) => t.getAttribute("data-person-id"))).toEqual(["31"]);
  });

  it("hides every small group in one operation", async () => {
    vi.spyOn(window, "confirm").mockReturnValue(true);
    const calls = mockCommands((command) => (command === "people_page" ? page([person(2, null, 9)], { smallGroups: 40 }) : command === "hide_small_groups" ? 40 : null));
    const view = await mount(<PeopleView />);
    await type(view.querySelector<HTMLInputElement>("[data-testid=hide-below]")!, "4");
    await click(view.querySelector("[data-testid=hide-small]")!);
    expect(calls.find((c) => c.command === "hide_small_groups")?.args).toEqual({ photos: 4 });
    await settle();
  });

  it("selects a range with Shift-click and merges it into the named person", async () => {
    const calls = mockCommands((command) => (command === "people_page" ? page([person(1, "Ada", 2), person(2, null, 5), person(3, null, 4), person(4, null, 3)]) : 1));
    const view = await mount(<PeopleView />);
    const cell = (i: number) => view.querySelector(`.cell[data-index="${i}"] .face-button`)!;
    await clickWith(cell(0), { ctrlKey: true });
    await clickWith(cell(2), { shiftKey: true });
    await click(view.querySelector("[data-testid=merge]")!);
    expect(calls.find((c) => c.command === "merge_people")?.args).toEqual({ into: 1, from: [1, 2, 3] });
  });

  it("draws a placeholder where a face picture is missing", async () => {
    mockCommands((command) => (command === "people_page" ? page([{ ...person(1, "Ada"), coverFace: null }, person(2, "Bo")]) : null));
    const view = await mount(<PeopleView />);
    expect(view.querySelectorAll("[data-testid=face-placeholder]")).toHaveLength(1);
    const image = view.querySelector("img")!;
    image.dispatchEvent(new Event("error"));
    await settle();
    expect(view.querySelectorAll("[data-testid=face-placeholder]")).toHaveLength(2);
  });
});

describe("Name people", () => {
  const groups = [
    { group: person(20, null, 12), faces: [201, 202, 203] },
    { group: person(21, null, 8), faces: [211, 212] },
    { group: person(22, null, 5), faces: [221] },
  ];

  it("names the largest groups by keyboard, adding a group to someone already named", async () => {
    const calls = mockCommands((command) => (command === "groups_to_name" ? groups : command === "named_people" ? [person(1, "Ada Lovelace")] : 1));
    const view = await mount(<NamePeopleView />);
    expect(view.querySelectorAll("[data-testid=mosaic] img")).toHaveLength(3);
    let input = view.querySelector<HTMLInputElement>("[data-testid=group-name]")!;
    // Completion: "ada" offers Ada Lovelace; ↓ chooses it and Enter takes it.
    await type(input, "ada");
    expect(view.querySelector("[data-testid=group-name-suggestions]")!.textContent).toBe("Ada Lovelace");
    await key(input, "ArrowDown");
    await key(input, "Enter");
    expect(calls.find((c) => c.command === "merge_people")?.args).toEqual({ into: 1, from: [20] });
    expect(view.querySelector("[data-testid=settled-count]")!.textContent).toBe("12 faces settled");
    // Escape skips the next group; a new name names the one after.
    input = view.querySelector<HTMLInputElement>("[data-testid=group-name]")!;
    expect(view.querySelector("[data-testid=name-group]")!.getAttribute("data-group-id")).toBe("21");
    await key(input, "Escape");
    expect(view.querySelector("[data-testid=name-group]")!.getAttribute("data-group-id")).toBe("22");
    input = view.querySelector<HTMLInputElement>("[data-testid=group-name]")!;
    await type(input, "Grace");
    await key(input, "Enter");
    expect(calls.find((c) => c.command === "name_person")?.args).toEqual({ id: 22, name: "Grace" });
    expect(view.querySelector("[data-testid=settled-count]")!.textContent).toBe("17 faces settled");
    expect(view.querySelector("[data-testid=groups-done]")!.textContent).toContain("1 skipped");
  });

  it("asks about everyone, most useful first, counting the faces settled", async () => {
    const questions = [
      { subject: "group", subjectId: 7, personId: 1, personName: "Ada", similarity: 0.4, faces: 6, sampleFace: 70, mosaic: [70, 71, 72, 73] },
      { subject: "face", subjectId: 8, personId: 2, personName: "Bo", similarity: 0.4, faces: 1, sampleFace: 8, mosaic: [8] },
    ];
    const calls = mockCommands((command) => (command === "groups_to_name" ? [] : command === "review_queue" ? questions : command === "named_people" ? [] : null));
    const view = await mount(<NamePeopleView />);
    await click(view.querySelector("[data-testid=mode-review]")!);
    expect(view.querySelector("[data-testid=review-question]")!.textContent).toBe("Is this Ada? (6 faces)");
    // A group is shown as a mosaic of its faces, with a way into it to sort it by hand.
    expect([...view.querySelectorAll("[data-testid=review-mosaic] img")].map((img) => img.getAttribute("src"))).toHaveLength(4);
    expect(view.querySelector("[data-testid=review-open-group]")).not.toBeNull();
    await key(window, "y");
    expect(view.querySelector("[data-testid=review-question]")!.textContent).toBe("Is this Bo?");
    expect(view.querySelector("[data-testid=review-mosaic]")).toBeNull();
    await key(window, "n");
    const answers = calls.filter((c) => c.command === "answer_review").map((c) => [(c.args.question as { subjectId: number }).subjectId, c.args.yes]);
    expect(answers).toEqual([[7, true], [8, false]]);
    expect(view.querySelector("[data-testid=settled-count]")!.textContent).toBe("7 faces settled");
  });
});

describe("Keyboard", () => {
  it("shows the shortcuts with ? and hides them with Escape", async () => {
    mockCommands((command) => (command === "photo_months" ? [] : command === "photo_page" ? { photos: [], more: false } : []));
    const view = await mount(<App />);
    expect(view.querySelector("[data-testid=help]")).toBeNull();
    await key(window, "?");
    expect(view.querySelector("[data-testid=help]")!.textContent).toContain("draw a box around a face");
    await key(window, "Escape");
    expect(view.querySelector("[data-testid=help]")).toBeNull();
  });

  it("leaves ? to a text field being typed in", async () => {
    const view = await mount(
      <>
        <input data-testid="field" />
        <Help />
      </>,
    );
    await key(view.querySelector("[data-testid=field]")!, "?");
    expect(view.querySelector("[data-testid=help]")).toBeNull();
  });
});
