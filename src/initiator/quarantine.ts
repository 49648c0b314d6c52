// Write quarantine: after a write whose frames were retransmitted, overlapping writes wait until stale copies are gone.
import type { Operation } from './operation.js';
import type { Path } from './path.js';

/** Longest wait of an overlapping write behind a retransmitted one. */
const MAX_QUARANTINE_MS = 50;

/**
 * A frame declared lost may only be late: its first copy can still sit in a queue and land after a newer write to
 * the same sectors. So when a write whose frames were retransmitted finishes, overlapping writes (waiting for it,
 * or submitted during the quarantine) wait 2 x the largest path srtt more (1..50 ms). Reads need not wait: a stale
 * copy carries the very data they expect. Released by the device's scan timer; one record per operation, not per frame.
 */
export class WriteQuarantine {
  /** Operations held back, each with the instant it may go. */
  private readonly held: Array<{ op: Operation; until: number }> = [];
  /** Byte ranges of finished retransmitted writes, fenced for writes submitted later. */
  private readonly fences: Array<{ offset: number; end: number; until: number }> = [];

  constructor(private readonly paths: readonly Path[]) {}

  get holding(): boolean {
    return this.held.length > 0;
  }

  /** A new operation: a write overlapping a live fence waits for it. */
  onSubmitted(op: Operation, now: number): void {
    for (let index = this.fences.length - 1; index >= 0; index -= 1) {
      const fence = this.fences[index];
      if (fence.until <= now) {
        this.fences.splice(index, 1);
        continue;
      }
      if (op.kind !== 'write' || fence.offset >= op.offset + op.length || op.offset >= fence.end) continue;
      op.waitFor += 1;
      this.held.push({ op, until: fence.until });
    }
  }

  /** `op` finished (done or failed): let the operations waiting for it go, now or after the quarantine. */
  onFinished(op: Operation, now: number): void {
    const quarantine = op.kind === 'write' && op.retransmitted;
    let until = now;
    if (quarantine) {
      let maxSrtt = 0;
      for (const path of this.paths) if (path.srtt > maxSrtt) maxSrtt = path.srtt;
      until = now + Math.min(MAX_QUARANTINE_MS, Math.max(1, 2 * maxSrtt));
      this.fences.push({ offset: op.offset, end: op.offset + op.length, until });
    }
    if (!op.dependents) return;
    for (const dependent of op.dependents) {
      if (quarantine && dependent.kind === 'write' && !dependent.done) this.held.push({ op: dependent, until });
      else dependent.waitFor -= 1;
    }
    op.dependents = undefined;
  }

  /** Release the held operations whose time is up. */
  release(now: number): void {
    for (let index = this.held.length - 1; index >= 0; index -= 1) {
      if (this.held[index].until > now) continue;
      this.held[index].op.waitFor -= 1;
      this.held.splice(index, 1);
    }
  }

  clear(): void {
    this.held.length = 0;
    this.fences.length = 0;
  }
}
