// Copy progress as numbers and one line of text: the rate over the last seconds (not the average), the ETA, and stalls.

/** Bytes per second are measured over this much recent time. */
const RATE_WINDOW_MS = 5000;
/** Nothing moved for this long: the copy is stalled (and the line says how many paths are up). */
export const STALL_MS = 2000;

export interface ProgressView {
  copied: number;
  /** Bytes to copy, when known (a pipe read to its end has no total). */
  total: number | undefined;
  /** Bytes per second over the last few seconds. */
  bytesPerSecond: number;
  /** Seconds left at the current rate; undefined without a total or while nothing moves. */
  etaSeconds: number | undefined;
  /** True when nothing moved for STALL_MS. */
  stalled: boolean;
  /** Paths up and paths in all, over the devices being copied (for the stall note). */
  paths: { up: number; total: number } | undefined;
}

/** Takes (time, bytes copied) samples, as often as the progress line is drawn, and turns them into a view. */
export class ProgressMeter {
  private readonly times: number[] = [];
  private readonly bytes: number[] = [];
  private lastCopied = 0;
  private lastMoved: number;

  constructor(startedAt: number) {
    this.lastMoved = startedAt;
    this.times.push(startedAt);
    this.bytes.push(0);
  }

  /** Record `copied` bytes at `now` (milliseconds, any monotonic clock). */
  sample(copied: number, now: number): void {
    if (copied > this.lastCopied) {
      this.lastCopied = copied;
      this.lastMoved = now;
    }
    this.times.push(now);
    this.bytes.push(copied);
    // Keep one sample at or before the window's start as the base of the rate.
    while (this.times.length > 2 && this.times[1] <= now - RATE_WINDOW_MS) {
      this.times.shift();
      this.bytes.shift();
    }
  }

  /** Bytes per second between the oldest sample in the window and the newest. */
  bytesPerSecond(): number {
    const last = this.times.length - 1;
    const elapsed = this.times[last] - this.times[0];
    return elapsed > 0 ? ((this.bytes[last] - this.bytes[0]) * 1000) / elapsed : 0;
  }

  view(total: number | undefined, now: number, paths?: { up: number; total: number }): ProgressView {
    const bytesPerSecond = this.bytesPerSecond();
    const stalled = now - this.lastMoved >= STALL_MS;
    const left = total === undefined ? undefined : Math.max(0, total - this.lastCopied);
    return {
      copied: this.lastCopied,
      total,
      bytesPerSecond: stalled ? 0 : bytesPerSecond,
      etaSeconds: left === undefined || stalled || bytesPerSecond <= 0 ? undefined : left / bytesPerSecond,
      stalled,
      paths,
    };
  }
}

/** '0:42', '1:02:03'. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${secs}` : `${minutes}:${secs}`;
}

const MiB = 2 ** 20;

/** '[#####     ] 12.0/64.0 MiB 19% 105.3 MB/s ETA 0:05', or '... stalled: 0/2 paths up' when nothing moves. */
export function formatProgress(view: ProgressView, barWidth = 30): string {
  const rate = `${(view.bytesPerSecond / 1e6).toFixed(1)} MB/s`;
  let line: string;
  if (view.total === undefined) line = `${(view.copied / MiB).toFixed(1)} MiB ${rate}`;
  else {
    const fraction = view.total > 0 ? Math.min(1, view.copied / view.total) : 1;
    const filled = Math.round(fraction * barWidth);
    line =
      `[${'#'.repeat(filled)}${' '.repeat(barWidth - filled)}] ${(view.copied / MiB).toFixed(1)}/${(view.total / MiB).toFixed(1)} MiB ` +
      `${Math.floor(fraction * 100)}% ${rate}`;
    if (view.etaSeconds !== undefined) line += ` ETA ${formatDuration(view.etaSeconds)}`;
  }
  if (view.stalled) line += view.paths ? ` stalled: ${view.paths.up}/${view.paths.total} paths up` : ' stalled';
  return line;
}
