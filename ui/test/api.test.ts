import { Channel } from "@tauri-apps/api/core";
import { afterEach, describe, expect, it } from "vitest";
import { api, faceUrl, KindredError, photoUrl } from "../src/api";
import { cleanup, mockCommands } from "./helpers";

afterEach(cleanup);

describe("api", () => {
  it("sends arguments in the commands' names and shapes", async () => {
    const calls = mockCommands(() => 7);
    await api.moveFaces([1, 2], { kind: "new_person", name: "Ada" });
    await api.namedPeople(true);
    expect(calls).toEqual([
      { command: "move_faces", args: { faces: [1, 2], target: { kind: "new_person", name: "Ada" } } },
      { command: "named_people", args: { includeHidden: true } },
    ]);
  });

  it("turns the app's error shape into a KindredError with its code", async () => {
    mockCommands(() => {
      throw { code: "not_found", message: "there is no person 9" };
    });
    const error = await api.personDetail(9).catch((e) => e);
    expect(error).toBeInstanceOf(KindredError);
    expect(error.code).toBe("not_found");
    expect(error.message).toBe("there is no person 9");
  });

  it("reports anything else as an internal error", async () => {
    mockCommands(() => {
      throw "boom";
    });
    const error = await api.undo().catch((e) => e);
    expect(error.code).toBe("internal");
  });

  it("passes a channel for job progress and delivers what comes through it", async () => {
    const seen: unknown[] = [];
    mockCommands((command, args) => {
      expect(command).toBe("run_job");
      expect(args.kind).toBe("scan");
      expect(args.folders).toEqual(["/photos"]);
      const channel = args.onProgress as Channel<unknown>;
      expect(channel).toBeInstanceOf(Channel);
      channel.onmessage({ kind: "scan", stage: "Reading photos", done: 1, total: 2, detail: null });
      return { kind: "scan", cancelled: false, summary: "done", finetune: null };
    });
    const outcome = await api.runJob("scan", ["/photos"], (p) => seen.push(p));
    expect(outcome.summary).toBe("done");
    expect(seen).toHaveLength(1);
  });

  it("addresses pictures through the kindred protocol, never file paths", () => {
    expect(faceUrl(12)).toBe("kindred://localhost/face/12");
    expect(photoUrl(3, 400)).toBe("kindred://localhost/photo/3?max=400");
  });
});
