import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PhotoView, boxStyle, neighbours, toPhotoBox } from "../src/views/Photo";
import { PersonView, ReviewQueue } from "../src/views/Person";
import { ageAt } from "../src/age";
import { describeFinetune } from "../src/views/Settings";
import { visibleRange } from "../src/components/VirtualGrid";
import { findByName, targetFor } from "../src/components/PersonPicker";
import { estimateSecondsLeft, getState, runJobs, setState } from "../src/store";
import { formatDuration } from "../src/components/JobBar";
import { cleanup, click, mockCommands, mount, person, pointer, settle, submit, type } from "./helpers";
import { ALL_PHOTOS } from "../src/api";

beforeEach(() => setState({ job: null, notice: null, lastOutcome: null, browsing: [], browsingQuery: null, help: false }));
afterEach(cleanup);

describe("VirtualGrid", () => {
  it("covers the visible rows and one more on each side", () => {
    expect(visibleRange(0, 600, 200, 100)).toEqual({ first: 0, last: 4 });
    expect(visibleRange(2000, 600, 200, 100)).toEqual({ first: 9, last: 14 });
    expect(visibleRange(19_800, 600, 200, 100)).toEqual({ first: 98, last: 100 });
  });
});

describe("Photo", () => {
  const detail = {
    id: 5,
    path: "/p/a.jpg",
    fileName: "a.jpg",
    takenAt: null,
    width: 1000,
    height: 500,
    faces: [
      { id: 50, x: 100, y: 50, w: 200, h: 100, personId: 2, personName: "Ada", placement: "user", drawn: false },
      { id: 51, x: 500, y: 250, w: 100, h: 100, personId: null, personName: null, placement: null, drawn: false },
    ],
  };

  it("steps through the grid it was opened from", () => {
    expect(neighbours([4, 5, 6], 5)).toEqual({ previous: 4, next: 6 });
    expect(neighbours([4, 5, 6], 4)).toEqual({ previous: null, next: 5 });
    expect(neighbours([4, 5, 6], 6)).toEqual({ previous: 5, next: null });
    expect(neighbours([4, 5, 6], 9)).toEqual({ previous: null, next: null });
  });

  it("places boxes as shares of the upright photo", () => {
    expect(boxStyle(detail.faces[0] as never, 1000, 500)).toEqual({ left: "10.000%", top: "10.000%", width: "20.000%", height: "20.000%" });
  });

  it("names a face from its box", async () => {
    const calls = mockCommands((command) => (command === "photo_detail" ? detail : command === "named_people" ? [person(2, "Ada")] : 9));
    const view = await mount(<PhotoView id={5} />);
    const boxes = view.querySelectorAll("[data-testid=face-box]");
    expect([...boxes].map((b) => b.textContent)).toEqual(["Ada", "?"]);
    await click(boxes[1]);
    const picker = view.querySelector<HTMLInputElement>("[data-testid=person-picker]")!;
    await type(picker, "ada");
    await submit(picker.form!);
    expect(calls.find((c) => c.command === "move_faces")?.args).toEqual({ faces: [51], target: { kind: "person", id: 2 } });
  });
});

describe("Drawing a face", () => {
  const detail = { id: 5, path: "/p/a.jpg", fileName: "a.jpg", takenAt: null, width: 1000, height: 500, faces: [] as unknown[] };

  it("turns a box dragged on the picture into pixels of the photo", () => {
    const shown = { width: 500, height: 250 };
    const photo = { width: 1000, height: 500 };
    expect(toPhotoBox({ x: 150, y: 75 }, { x: 50, y: 25 }, shown, photo)).toEqual({ x: 100, y: 50, w: 200, h: 100 });
    // Dragged past the picture's edge: the box stops at it.
    expect(toPhotoBox({ x: 450, y: 200 }, { x: 600, y: 300 }, shown, photo)).toEqual({ x: 900, y: 400, w: 100, h: 100 });
  });

  it("adds the face drawn and asks who it is", async () => {
    let drawn = false;
    const face = { id: 77, x: 100, y: 50, w: 200, h: 100, personId: null, personName: null, placement: null, drawn: true };
    const calls = mockCommands((command) => {
      if (command === "photo_detail") return drawn ? { ...detail, faces: [face] } : detail;
      if (command === "draw_face") {
        drawn = true;
        return 77;
      }
      return command === "named_people" ? [person(2, "Ada")] : null;
    });
    const view = await mount(<PhotoView id={5} />);
    await click(view.querySelector("[data-testid=draw-face]")!);
    const frame = view.querySelector<HTMLElement>("[data-testid=photo-frame]")!;
    frame.getBoundingClientRect = () => ({ left: 0, top: 0, width: 500, height: 250, right: 500, bottom: 250, x: 0, y: 0, toJSON: () => null });
    await pointer(frame, "pointerdown", 50, 25);
    await pointer(frame, "pointermove", 150, 75);
    await pointer(frame, "pointerup", 150, 75);
    expect(calls.find((c) => c.command === "draw_face")?.args).toEqual({ photo: 5, x: 100, y: 50, w: 200, h: 100 });
    // The new face is boxed (dashed: drawn by the user) and its panel asks for a name.
    expect(view.querySelector("[data-testid=face-box].drawn")).not.toBeNull();
    const picker = view.querySelector<HTMLInputElement>("[data-testid=person-picker]")!;
    await type(picker, "Grace");
    await submit(picker.form!);
    expect(calls.find((c) => c.command === "move_faces")?.args).toEqual({ faces: [77], target: { kind: "new_person", name: "Grace" } });
  });

  it("steps through the timeline it was opened from", async () => {
    setState({ browsingQuery: { query: ALL_PHOTOS, index: 1 } });
    const calls = mockCommands((command) =>
      command === "photo_detail" ? detail : command === "photo_page" ? { photos: [4, 5, 6].map((id) => ({ id, fileName: `${id}.jpg`, takenAt: null })), more: true } : null,
    );
    const view = await mount(<PhotoView id={5} />);
    expect(calls.find((c) => c.command === "photo_page")?.args).toEqual({ query: ALL_PHOTOS, offset: 0, limit: 3 });
    await click(view.querySelector("[data-testid=next-photo]")!);
    expect(location.hash).toBe("#/photo/6");
    expect(getState().browsingQuery?.index).toBe(2);
  });
});

describe("Person picker", () => {
  it("picks an existing person by name, else makes a new one", () => {
    const people = [person(1, "Ada Lovelace"), person(2, null)];
    const found = findByName(people, " ada lovelace ");
    expect(found?.id).toBe(1);
    expect(targetFor({ person: found! })).toEqual({ kind: "person", id: 1 });
    expect(findByName(people, "Grace")).toBeUndefined();
    expect(targetFor({ newName: "Grace" })).toEqual({ kind: "new_person", name: "Grace" });
  });
});

describe("Review", () => {
  it("answers with y and n, and skips with s", async () => {
    const questions = [
      { subject: "group", subjectId: 7, personId: 1, personName: "Ada", similarity: 0.4, faces: 3, sampleFace: 70, mosaic: [70, 71, 72] },
      { subject: "face", subjectId: 8, personId: 1, personName: "Ada", similarity: 0.4, faces: 1, sampleFace: 8, mosaic: [8] },
      { subject: "face", subjectId: 9, personId: 1, personName: "Ada", similarity: 0.4, faces: 1, sampleFace: 9, mosaic: [9] },
    ];
    const calls = mockCommands((command, args) => (command === "review_queue_about" && args.person === 1 ? questions : null));
    const view = await mount(<ReviewQueue person={person(1, "Ada")} />);
    expect(view.textContent).toContain("Is this Ada? (3 faces)");
    const press = async (key: string) => {
      window.dispatchEvent(new KeyboardEvent("keydown", { key }));
      await settle();
    };
    await press("y");
    await press("s");
    await press("n");
    const answers = calls.filter((c) => c.command === "answer_review").map((c) => [(c.args.question as { subjectId: number }).subjectId, c.args.yes]);
    expect(answers).toEqual([[7, true], [9, false]]);
    expect(view.querySelector("[data-testid=review-done]")).not.toBeNull();
  });
});

describe("Birth dates", () => {
  it("counts ages in whole months, then whole years", () => {
    expect(ageAt("2019-05-20", "2019-05-19T10:00:00")).toBeNull();
    expect(ageAt("2019-05-20", "2019-07-19T10:00:00")).toBe("1 month");
    expect(ageAt("2019-05-20", "2019-11-20T10:00:00")).toBe("6 months");
    expect(ageAt("2019-05-20", "2020-05-20T10:00:00")).toBe("1 year");
    expect(ageAt("2019-05-20", "2031-01-01T10:00:00")).toBe("11 years");
    expect(ageAt(null, "2031-01-01T10:00:00")).toBeNull();
    expect(ageAt("2019-05-20", null)).toBeNull();
  });

  it("shows the age in each photo and sets the birth date", async () => {
    const ada = { ...person(1, "Ada"), birthDate: "2015-03-10" };
    const photos = [
      { id: 5, fileName: "a.jpg", takenAt: "2018-04-01T09:00:00" },
      { id: 6, fileName: "b.jpg", takenAt: null },
    ];
    const calls = mockCommands((command) => {
      if (command === "person_detail") return { person: ada, faces: [] };
      if (command === "person_photos") return { photos, more: false };
      if (command === "set_birth_date") return 1;
      return null;
    });
    const view = await mount(<PersonView id={1} />);
    expect(view.querySelector("[data-testid=birth-date]")!.textContent).toContain("Born 2015-03-10");
    const captions = [...view.querySelectorAll("[data-testid=photo-caption]")].map((c) => c.textContent);
    expect(captions).toEqual(["3 years"]);
    await click(view.querySelector("[data-testid=edit-birth-date]")!);
    await type(view.querySelector("[data-testid=birth-date-input]") as HTMLInputElement, "2015-03-12");
    await submit(view.querySelector("[data-testid=birth-date-form]") as HTMLFormElement);
    expect(calls.find((c) => c.command === "set_birth_date")?.args).toEqual({ id: 1, date: "2015-03-12" });
  });
});

describe("Jobs", () => {
  it("estimates the time left from the pace of the stage", () => {
    const job = { kind: "faces" as const, startedAt: 0, stageStartedAt: 0, progress: { kind: "faces" as const, stage: "Finding faces", done: 25, total: 100, detail: null } };
    expect(estimateSecondsLeft(job, 10_000)).toBeCloseTo(30);
    expect(estimateSecondsLeft({ ...job, progress: { ...job.progress, done: 0 } }, 10_000)).toBeNull();
    expect(formatDuration(30)).toBe("30 s");
    expect(formatDuration(5400)).toBe("1 h 30 min");
  });

  it("stops a chain of jobs at the first failure and says why", async () => {
    const calls = mockCommands(() => {
      throw { code: "busy", message: "The scan is still running" };
    });
    expect(await runJobs([{ kind: "scan" }, { kind: "faces" }])).toBe(false);
    expect(calls).toHaveLength(1);
    expect(getState().notice).toEqual({ text: "The scan is still running", error: true });
    expect(getState().job).toBeNull();
  });

  it("describes a fine-tune in the user's terms", () => {
    expect(describeFinetune({ before: 0.912, after: 0.968, activated: true })).toBe("Grouping on your labeled people: 91% → 97%. The fine-tuned model is now in use.");
    expect(describeFinetune({ before: 0.97, after: 0.96, activated: false })).toContain("no better");
  });
});
