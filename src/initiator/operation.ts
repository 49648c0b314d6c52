// One user read or write: its buffer, progress counters and the earlier overlapping operations it must wait for.

/** One user read or write, split into frames as paths have window space. */
export interface Operation {
  kind: 'read' | 'write';
  /** Device byte offset. */
  offset: number;
  length: number;
  /** Read: destination; write: source. Frames copy straight to/from it. */
  buffer: Buffer;
  /** Bytes handed to paths so far (new chunks are cut from here). */
  issued: number;
  /** Bytes not yet acknowledged. */
  remaining: number;
  done: boolean;
  /** Earlier overlapping operations (with a write involved) still running. */
  waitFor: number;
  dependents: Operation[] | undefined;
  /** Some write frame was sent again: its first copy may still be in the network (see releaseDependents). */
  retransmitted: boolean;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * A new operation. It waits for every earlier active operation it overlaps when either is a write, so overlapping
 * writes land in submission order and reads never see half of a concurrent write.
 */
export function createOperation(kind: 'read' | 'write', offset: number, buffer: Buffer, active: readonly Operation[]): Operation {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  const length = buffer.length;
  const op: Operation = { kind, offset, length, buffer, issued: 0, remaining: length, done: false, waitFor: 0, dependents: undefined, retransmitted: false, promise, resolve, reject };
  const end = offset + length;
  for (const earlier of active) {
    if ((kind === 'write' || earlier.kind === 'write') && earlier.offset < end && offset < earlier.offset + earlier.length) {
      op.waitFor += 1;
      (earlier.dependents ??= []).push(op);
    }
  }
  return op;
}

/** An overlapping write held back after its predecessor finished, until `until` (performance.now() ms). */
export interface Quarantine { op: Operation; until: number }

/**
 * Let the operations waiting for `op` go. When `op` is a write whose frames were retransmitted, an earlier copy of
 * a frame may still be queued somewhere (a frame declared lost may only be late) and would land after a newer
 * overlapping write: overlapping writes then wait `quarantineMs` longer (reads may go, a stale copy carries the
 * same data they wait for). The caller releases quarantined operations with releaseQuarantined().
 */
export function releaseDependents(op: Operation, now: number, quarantineMs: number, quarantined: Quarantine[]): void {
  if (!op.dependents) return;
  const hold = op.kind === 'write' && op.retransmitted && quarantineMs > 0;
  for (const dependent of op.dependents) {
    if (hold && dependent.kind === 'write' && !dependent.done) quarantined.push({ op: dependent, until: now + quarantineMs });
    else dependent.waitFor -= 1;
  }
  op.dependents = undefined;
}

/** Release the quarantined operations whose time is up; returns how many were released. */
export function releaseQuarantined(quarantined: Quarantine[], now: number): number {
  let released = 0;
  for (let index = quarantined.length - 1; index >= 0; index -= 1) {
    if (quarantined[index].until > now) continue;
    quarantined[index].op.waitFor -= 1;
    quarantined.splice(index, 1);
    released += 1;
  }
  return released;
}

/** A Buffer view of any Uint8Array (no copy). */
export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
