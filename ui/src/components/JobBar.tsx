// The running job (progress, ETA, cancel) and the last outcome, at the bottom of every view.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { estimateSecondsLeft, reportError, setState, useAppState } from "../store";

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  const hours = Math.floor(seconds / 3600);
  return `${hours} h ${Math.round((seconds - hours * 3600) / 60)} min`;
}

export function JobBar() {
  const { job, notice } = useAppState();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!job) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [job]);

  if (job) {
    const progress = job.progress;
    const left = estimateSecondsLeft(job, now);
    const share = progress && progress.total > 0 ? progress.done / progress.total : null;
    return (
      <footer class="job-bar" data-testid="job-bar">
        <span class="job-stage">{progress?.stage ?? "Starting"}</span>
        <progress max={1} value={share ?? undefined} />
        <span data-testid="job-count">
          {progress && progress.total > 0 ? `${progress.done.toLocaleString()} of ${progress.total.toLocaleString()}` : progress ? `${progress.done.toLocaleString()}` : ""}
        </span>
        <span class="job-eta">{left !== null ? `about ${formatDuration(left)} left` : ""}</span>
        <span class="job-detail">{progress?.detail ?? ""}</span>
        <button onClick={() => api.cancelJob().catch(reportError)} data-testid="cancel-job">
          Cancel
        </button>
      </footer>
    );
  }
  if (notice) {
    return (
      <footer class={notice.error ? "job-bar notice error" : "job-bar notice"} data-testid="notice">
        <span>{notice.text}</span>
        <button onClick={() => setState({ notice: null })}>Dismiss</button>
      </footer>
    );
  }
  return null;
}
