// App-wide state that outlives a view: the running job, the last message, and a counter that
// views watch to reload after the library changes.
import { useEffect, useState } from "preact/hooks";
import { api, KindredError } from "./api";
import type { JobKind } from "./bindings/JobKind";
import type { JobOutcome } from "./bindings/JobOutcome";
import type { JobProgress } from "./bindings/JobProgress";
import type { PhotoQuery } from "./bindings/PhotoQuery";

export interface JobState {
  kind: JobKind;
  progress: JobProgress | null;
  startedAt: number;
  /** When the current stage's counting began, for the ETA. */
  stageStartedAt: number;
}

export interface AppState {
  job: JobState | null;
  /** The last job's outcome or error, shown until dismissed. */
  notice: { text: string; error: boolean } | null;
  lastOutcome: JobOutcome | null;
  /** Bumped whenever the library's contents change. */
  revision: number;
  /** The photos of the grid the photo viewer was opened from, for previous and next. */
  browsing: number[];
  /** Or the listing it was opened from, too long to hold (the timeline), and where in it. */
  browsingQuery: { query: PhotoQuery; index: number } | null;
  /** Whether the keyboard shortcuts are shown. */
  help: boolean;
}

let state: AppState = { job: null, notice: null, lastOutcome: null, revision: 0, browsing: [], browsingQuery: null, help: false };
const listeners = new Set<() => void>();

export function getState(): AppState {
  return state;
}

export function setState(change: Partial<AppState>) {
  state = { ...state, ...change };
  listeners.forEach((listener) => listener());
}

export function useAppState(): AppState {
  const [, rerender] = useState(0);
  useEffect(() => {
    const listener = () => rerender((n) => n + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return state;
}

export function libraryChanged() {
  setState({ revision: state.revision + 1 });
}

export function notify(text: string, error = false) {
  setState({ notice: { text, error } });
}

export function reportError(error: unknown) {
  notify(error instanceof KindredError ? error.message : String(error), true);
}

/** Runs a user operation: on success says `message` (if any) and lets views reload; on failure
 * says why. Answers whether it succeeded. */
export async function perform(work: () => Promise<unknown>, message?: string): Promise<boolean> {
  try {
    await work();
  } catch (error) {
    reportError(error);
    return false;
  }
  if (message) notify(message);
  libraryChanged();
  return true;
}

/** Seconds left, from the pace so far of the current stage; null while unknown. */
export function estimateSecondsLeft(job: JobState, now: number): number | null {
  const progress = job.progress;
  if (!progress || progress.total === 0 || progress.done === 0) return null;
  const elapsed = (now - job.stageStartedAt) / 1000;
  if (elapsed < 1) return null;
  return ((progress.total - progress.done) * elapsed) / progress.done;
}

/** Runs jobs one after another (e.g. scan, then find faces); stops at the first failure. */
export async function runJobs(jobs: { kind: JobKind; folders?: string[] }[]): Promise<boolean> {
  for (const { kind, folders } of jobs) {
    const now = Date.now();
    setState({ job: { kind, progress: null, startedAt: now, stageStartedAt: now }, notice: null });
    try {
      const outcome = await api.runJob(kind, folders ?? [], (progress) => {
        const job = state.job;
        if (!job) return;
        const stageChanged = job.progress?.stage !== progress.stage || progress.done < (job.progress?.done ?? 0);
        setState({ job: { ...job, progress, stageStartedAt: stageChanged ? Date.now() : job.stageStartedAt } });
      });
      setState({ job: null, lastOutcome: outcome });
      notify(outcome.cancelled ? `Cancelled: ${outcome.summary}` : outcome.summary);
      libraryChanged();
      if (outcome.cancelled) return false;
    } catch (error) {
      setState({ job: null });
      reportError(error);
      libraryChanged();
      return false;
    }
  }
  return true;
}
