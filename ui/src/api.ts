// Typed calls into the app's commands. The shapes come from `bindings/`, generated from the
// Rust types (src-tauri/src/dto.rs), so the two sides cannot drift apart silently.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { AlbumCard } from "./bindings/AlbumCard";
import type { AppError } from "./bindings/AppError";
import type { DeviceChoice } from "./bindings/DeviceChoice";
import type { DeviceInfo } from "./bindings/DeviceInfo";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { FileIssue } from "./bindings/FileIssue";
import type { FolderCard } from "./bindings/FolderCard";
import type { GroupToName } from "./bindings/GroupToName";
import type { JobKind } from "./bindings/JobKind";
import type { JobOutcome } from "./bindings/JobOutcome";
import type { JobProgress } from "./bindings/JobProgress";
import type { LibraryInfo } from "./bindings/LibraryInfo";
import type { MonthCount } from "./bindings/MonthCount";
import type { MoveTarget } from "./bindings/MoveTarget";
import type { PeoplePage } from "./bindings/PeoplePage";
import type { PeopleQuery } from "./bindings/PeopleQuery";
import type { PersonCard } from "./bindings/PersonCard";
import type { PersonDetail } from "./bindings/PersonDetail";
import type { PhotoDetail } from "./bindings/PhotoDetail";
import type { PhotoPage } from "./bindings/PhotoPage";
import type { PhotoQuery } from "./bindings/PhotoQuery";
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

/** Calls `onChange` whenever the library changes behind the window's back (the folder watcher
 * read new or changed photos); answers a function that stops listening. */
export async function onLibraryChanged(onChange: () => void): Promise<() => void> {
  return listen("library-changed", () => onChange());
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

  /** The named people, by name. */
  namedPeople: (includeHidden: boolean) => call<PersonCard[]>("named_people", { includeHidden }),
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

  photoMonths: (query: PhotoQuery) => call<MonthCount[]>("photo_months", { query }),
  photoPage: (query: PhotoQuery, offset: number, limit: number) => call<PhotoPage>("photo_page", { query, offset, limit }),
  peoplePage: (query: PeopleQuery) => call<PeoplePage>("people_page", { query }),
  groupsToName: (offset: number, limit: number, mosaic: number) => call<GroupToName[]>("groups_to_name", { offset, limit, mosaic }),
  hideSmallGroups: (photos: number) => call<number>("hide_small_groups", { photos }),
  removeFaces: (faces: number[]) => call<null>("remove_faces", { faces }),
  notFaces: (faces: number[]) => call<null>("not_faces", { faces }),
  drawFace: (photo: number, box: { x: number; y: number; w: number; h: number }) => call<number>("draw_face", { photo, ...box }),

  listAlbums: () => call<AlbumCard[]>("list_albums"),
  albumDetail: (id: number) => call<AlbumCard>("album_detail", { id }),
  folderAlbums: () => call<FolderCard[]>("folder_albums"),
  createAlbum: (name: string, photos: number[]) => call<number>("create_album", { name, photos }),
  renameAlbum: (id: number, name: string) => call<null>("rename_album", { id, name }),
  deleteAlbum: (id: number) => call<null>("delete_album", { id }),
  addToAlbum: (id: number, photos: number[]) => call<number>("add_to_album", { id, photos }),
  removeFromAlbum: (id: number, photos: number[]) => call<number>("remove_from_album", { id, photos }),
};

/** Every photo, no filter. */
export const ALL_PHOTOS: PhotoQuery = { people: [], peopleMatch: "all", album: null, folder: null, from: null, to: null };

/** Pictures come from the app's `kindred:` protocol, never through IPC. */
const mediaBase = /Windows|Android/.test(navigator.userAgent)
  ? "http://kindred.localhost"
  : "kindred://localhost";

export const faceUrl = (faceId: number) => `${mediaBase}/face/${faceId}`;
export const photoUrl = (photoId: number, maxSide = 2048) => `${mediaBase}/photo/${photoId}?max=${maxSide}`;
