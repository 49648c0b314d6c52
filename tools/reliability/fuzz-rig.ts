// The fuzz target: three guarded exports (odd size, window, read-only) served by one real target engine, plus the per-frame checker.
import { EventEmitter } from 'node:events';
import type { FrameBatchHandler, Link, LinkState, LinkStats } from '../../src/link/link.js';
import type { BlockStore } from '../../src/store/block-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { WindowStore } from '../../src/store/window-store.js';
import type { ExportRuntime } from '../../src/blade/export.js';
import type { ExportOptions } from '../../src/blade/export.js';
import { sectorsForMtu } from '../../src/wire/constants.js';
import { GuardStore } from './guard-store.js';
import { addressedExports, expectation, MUST_REPLY, replyProblems, SILENT } from './fuzz-oracle.js';

export const FUZZ_TARGET_MAC = 0x02f0000000aa;
export const FUZZ_SOURCES = [0x02f000000001, 0x02f000000002];

/** A Link stand-in that hands every reply to a callback synchronously and lets the caller drive the receive handler. */
export class CaptureLink extends EventEmitter implements Link {
  readonly name: string;
  readonly state: LinkState = { up: true, carrier: true };
  handler: FrameBatchHandler | undefined;
  onSend: (frame: Uint8Array, length: number) => void = () => {};
  constructor(
    name: string,
    readonly mac: number,
    readonly mtu: number,
  ) {
    super();
    this.name = name;
  }
  send(frames: readonly Uint8Array[], lengths: ArrayLike<number>, count: number): number {
    for (let i = 0; i < count; i++) this.onSend(frames[i], lengths[i]);
    return count;
  }
  onFrames(handler: FrameBatchHandler): void {
    this.handler = handler;
  }
  stats(): LinkStats {
    return { framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, batchesIn: 0, sendBlocked: 0, sendErrors: 0, kernelDrops: 0 };
  }
  async close(): Promise<void> {}
}

export interface FuzzExports {
  options: ExportOptions[];
  guards: GuardStore[];
}

/** e1.2: 2049 sectors (odd end); e1.3: a 1000-sector window at sector 100 of a larger store; e2.2: read-only, any write is a violation. */
export function fuzzExports(interfaces: string[], mtu: number): FuzzExports {
  const maxLength = sectorsForMtu(mtu) * 512;
  const plain = new GuardStore(new MemoryStore(2049 * 512), { maxLength });
  const windowInner = new GuardStore(new MemoryStore(4096 * 512), { allowStart: 100 * 512, allowEnd: 1100 * 512, maxLength });
  const windowed = new GuardStore(new WindowStore(windowInner, 100, 1000), { maxLength });
  const readOnly = new GuardStore(new MemoryStore(512 * 512), { writable: false, maxLength });
  const stores: Array<[number, number, BlockStore, boolean]> = [
    [1, 2, plain, false],
    [1, 3, windowed, false],
    [2, 2, readOnly, true],
  ];
  return {
    options: stores.map(([shelf, slot, store, readOnlyFlag]) => ({ shelf, slot, store, readOnly: readOnlyFlag, interfaces })),
    guards: [plain, windowInner, windowed, readOnly],
  };
}

export function guardViolations(guards: GuardStore[]): number {
  return guards.reduce((sum, guard) => sum + guard.violations.length, 0);
}

/** Reset control state now and then so masks and reservations do not silence the rest of the run. */
export function resetControlState(exports: readonly ExportRuntime[]): void {
  for (const runtime of exports) {
    runtime.replaceMask([]);
    runtime.setReservation([]);
    runtime.setConfigString(new Uint8Array(0), false);
  }
}

export interface CheckTally {
  framesChecked: number;
  replies: number;
  /** Replies to requests the protocol says to ignore. */
  unexpectedReplies: number;
  /** Requests that must be answered but were not. */
  missingReplies: number;
  /** More than one reply from one export to one request. */
  duplicateReplies: number;
  malformedReplies: number;
  problems: string[];
}

export function emptyTally(): CheckTally {
  return { framesChecked: 0, replies: 0, unexpectedReplies: 0, missingReplies: 0, duplicateReplies: 0, malformedReplies: 0, problems: [] };
}

/** Compare the replies one request got with what it must get; returns true when all is well. */
export function checkReplies(
  tally: CheckTally,
  request: Buffer,
  length: number,
  replies: Array<{ frame: Buffer; length: number }>,
  exports: readonly ExportRuntime[],
  expected: Map<ExportRuntime, number>,
  maxFrame: number,
  targetMac: number,
): boolean {
  tally.framesChecked++;
  let ok = true;
  const note = (problem: string) => {
    ok = false;
    if (tally.problems.length < 20)
      tally.problems.push(`${problem} (request ${request.subarray(0, Math.min(length, 48)).toString('hex')})`);
  };
  const seen = new Map<ExportRuntime, number>();
  for (const reply of replies) {
    tally.replies++;
    const problems = replyProblems(reply.frame, reply.length, request, length, targetMac, exports, maxFrame);
    if (problems.length > 0) {
      tally.malformedReplies++;
      note(problems.join('; '));
      continue;
    }
    const runtime = exports.find((item) => item.shelf === reply.frame.readUInt16BE(16) && item.slot === reply.frame[18]) as ExportRuntime;
    seen.set(runtime, (seen.get(runtime) ?? 0) + 1);
  }
  for (const [runtime, count] of seen) {
    if (count > 1) {
      tally.duplicateReplies++;
      note(`${count} replies from ${runtime.name}`);
    }
    if (expected.get(runtime) === SILENT) {
      tally.unexpectedReplies++;
      note(`reply from ${runtime.name} where the protocol says silence`);
    }
  }
  for (const [runtime, expectation] of expected) {
    if (expectation === MUST_REPLY && !seen.has(runtime)) {
      tally.missingReplies++;
      note(`no reply from ${runtime.name}`);
    }
  }
  return ok;
}

/** Expectations for each addressed export, evaluated against the state before the request is processed. */
export function expectationsFor(
  request: Buffer,
  length: number,
  exports: readonly ExportRuntime[],
  stateless: boolean,
): Map<ExportRuntime, number> {
  const result = new Map<ExportRuntime, number>();
  for (const runtime of addressedExports(request, length, exports)) result.set(runtime, expectation(request, length, runtime, stateless));
  return result;
}
