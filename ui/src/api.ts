// Typed calls into the app's commands. The shapes come from `bindings/`, generated from the
// Rust types (src-tauri/src/dto.rs), so the two sides cannot drift apart silently.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { AppError } from "./bindings/AppError";
import type { DeviceChoice } from "./bindings/DeviceChoice";
import type { DeviceInfo } from "./bindings/DeviceInfo";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { FileIssue } from "./bindings/FileIssue";
import type { JobKind } from "./bindings/JobKind";
import type { JobOutcome } from "./bindings/JobOutcome";
import type { JobProgress } from "./bindings/JobProgress";
import type { LibraryInfo } from "./bindings/LibraryInfo";
import type { MoveTarget } from "./bindings/MoveTarget";
import type { PersonCard } from "./bindings/PersonCard";
import type { PersonDetail } from "./bindings/PersonDetail";
import type { PhotoDetail } from "./bindings/PhotoDetail";
import type { PhotoPage } from "./bindings/PhotoPage";
import type { ReviewQuestion } from "./bindings/ReviewQuestion";
import type { SearchQuery } from "./bindings/SearchQuery";
import type { Settings } from "./bindings/Settings";

/** A failed command, with the code the UI branches on. */
export class KindredError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

function isAppError(value: unknown): value is AppError {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isAppError(error)) throw new KindredError(error.code, error.message);
    throw new KindredError("internal", String(error));
  }
}

export const api = {
  libraryInfo: () => call<LibraryInfo>("library_info"),
  listIssues: () => call<FileIssue[]>("list_issues"),
  removeFolder: (path: string) => call<number>("remove_folder", { path }),
  runJob(kind: JobKind, folders: string[], onProgress: (progress: JobProgress) => void) {
    const channel = new Channel<JobProgress>();
    channel.onmessage = onProgress;
    return call<JobOutcome>("run_job", { kind, folders, onProgress: channel });
  },
  cancelJob: () => call<boolean>("cancel_job"),

  listPeople: (includeHidden: boolean) => call<PersonCard[]>("list_people", { includeHidden }),
  personDetail: (id: number) => call<PersonDetail>("person_detail", { id }),
  personPhotos: (id: number, offset: number, limit: number) =>
    call<PhotoPage>("person_photos", { id, offset, limit }),
  searchPhotos: (query: SearchQuery) => call<PhotoPage>("search_photos", { query }),
  namePerson: (id: number, name: string) => call<number>("name_person", { id, name }),
  mergePeople: (into: number, from: number[]) => call<number>("merge_people", { into, from }),
  setHidden: (id: number, hidden: boolean) => call<number>("set_hidden", { id, hidden }),
  setCover: (id: number, face: number) => call<number>("set_cover", { id, face }),
  setBirthDate: (id: number, date: string | null) => call<number>("set_birth_date", { id, date }),
  moveFaces: (faces: number[], target: MoveTarget) => call<number>("move_faces", { faces, target }),
  removeFace: (face: number) => call<number>("remove_face", { face }),
  notAFace: (face: number) => call<null>("not_a_face", { face }),
  undo: () => call<string | null>("undo"),
  reviewQueue: (limit: number) => call<ReviewQuestion[]>("review_queue", { limit }),
  reviewQueueAbout: (person: number, limit: number) => call<ReviewQuestion[]>("review_queue_about", { person, limit }),
  answerReview: (question: ReviewQuestion, yes: boolean) => call<null>("answer_review", { question, yes }),

  photoDetail: (id: number) => call<PhotoDetail>("photo_detail", { id }),

  getSettings: () => call<Settings>("get_settings"),
  setDevice: (device: DeviceChoice) => call<null>("set_device", { device }),
  setThreshold: (threshold: number) => call<null>("set_threshold", { threshold }),
  useBaseModel: () => call<null>("use_base_model"),
  deviceInfo: () => call<DeviceInfo>("device_info"),
};

/** Pictures come from the app's `kindred:` protocol, never through IPC. */
const mediaBase = /Windows|Android/.test(navigator.userAgent)
  ? "http://kindred.localhost"
  : "kindred://localhost";

export const faceUrl = (faceId: number) => `${mediaBase}/face/${faceId}`;
export const photoUrl = (photoId: number, maxSide = 2048) => `${mediaBase}/photo/${photoId}?max=${maxSide}`;
