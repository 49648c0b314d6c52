// The device's one periodic timer: it holds the process open only while I/O is outstanding, and puts off a run that comes late.
import { performance } from 'node:perf_hooks';

/** A run this many intervals late is put off once (see ScanTimer.fire). */
const LATE_INTERVALS = 4;

export class ScanTimer {
  private timer: NodeJS.Timeout | undefined;
  private lastRunAt = 0;
  private putOff = false;

  constructor(
    private readonly intervalMs: number,
    private readonly run: (now: number) => void,
  ) {}

  /** Start it if stopped; `busy` (I/O outstanding) keeps the process alive, like a socket with a pending request. */
  start(busy: boolean): void {
    if (!this.timer) {
      this.timer = setInterval(() => this.fire(), this.intervalMs);
      this.lastRunAt = performance.now();
    }
    if (busy) this.timer.ref();
    else this.timer.unref();
  }

  /** Keep running, without holding the process open. */
  idle(): void {
    this.timer?.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * A run that comes more than LATE_INTERVALS intervals late (the process was not scheduled or the event loop was
   * blocked) is put off once: timers run before the poll phase, and the replies that queued up during the stall must
   * be read before frames count as timed out (otherwise every frame in flight is retransmitted and the window collapses).
   */
  private fire(): void {
    const now = performance.now();
    const late = now - this.lastRunAt > LATE_INTERVALS * this.intervalMs;
    this.lastRunAt = now;
    if (late && !this.putOff) {
      this.putOff = true;
      return;
    }
    this.putOff = false;
    this.run(now);
  }
}
