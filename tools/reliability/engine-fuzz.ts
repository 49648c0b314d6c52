// Scenario 6a: millions of fuzz frames straight through the target engine's receive handler (the code path a link drives).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createTarget } from '../../src/blade/server.js';
import { FrameFuzzer } from './fuzz-frames.js';
import {
  CaptureLink,
  checkReplies,
  emptyTally,
  expectationsFor,
  FUZZ_SOURCES,
  FUZZ_TARGET_MAC,
  fuzzExports,
  guardViolations,
  resetControlState,
  type CheckTally,
} from './fuzz-rig.js';

export interface EngineFuzzOptions {
  frames: number;
  seed?: number;
  mtu?: number;
  /** Save every frame that crashes the engine or breaks a rule here as <seed>-<index>.hex. */
  crasherDir?: string;
  /** Replay these frames (hex) first, e.g. the saved crashers. */
  replay?: Buffer[];
}

export interface EngineFuzzFigures extends Omit<CheckTally, 'problems'> {
  frames: number;
  seed: number;
  mtu: number;
  crashes: number;
  guardViolations: number;
  leakedPoolSlots: number;
  storeReads: number;
  storeWrites: number;
  framesPerSecond: number;
  seconds: number;
  byKind: Record<string, number>;
  problems: string[];
  crashersSaved: string[];
}

export async function runEngineFuzz(options: EngineFuzzOptions): Promise<EngineFuzzFigures> {
  const seed = options.seed ?? 1;
  const mtu = options.mtu ?? 9000;
  const maxFrame = mtu + 14;
  const link = new CaptureLink('t0', FUZZ_TARGET_MAC, mtu);
  const { options: exportOptions, guards } = fuzzExports(['t0'], mtu);
  const target = createTarget({ exports: exportOptions, links: { t0: link }, announce: false });
  await target.start();
  const engine = target.engines[0];
  const exports = target.exports;
  const handler = link.handler;
  if (!handler) throw new Error('engine did not install a receive handler');
  const fuzzer = new FrameFuzzer(
    {
      targetMac: FUZZ_TARGET_MAC,
      sources: FUZZ_SOURCES,
      exports: exports.map((runtime) => ({ shelf: runtime.shelf, slot: runtime.slot, sectors: runtime.sectors })),
      maxFrame,
    },
    seed,
  );
  const slab = Buffer.alloc(maxFrame);
  const lengths = new Uint32Array(1);
  const replies: Array<{ frame: Buffer; length: number }> = [];
  link.onSend = (frame, length) => replies.push({ frame: Buffer.from(frame.subarray(0, length)), length });
  const tally = emptyTally();
  const byKind: Record<string, number> = {};
  const crashersSaved: string[] = [];
  let crashes = 0;
  let leakedPoolSlots = 0;
  let violationsSeen = 0;
  const started = performance.now();
  const replay = options.replay ?? [];
  const total = replay.length + options.frames;
  for (let index = 0; index < total; index++) {
    let length: number;
    if (index < replay.length) {
      length = Math.min(replay[index].length, maxFrame);
      replay[index].copy(slab, 0, 0, length);
    } else {
      if ((index & 511) === 0) resetControlState(exports);
      length = fuzzer.next(slab);
      byKind[fuzzer.kind] = (byKind[fuzzer.kind] ?? 0) + 1;
    }
    const request = slab; // the handler does not modify the slab; the oracle reads it before and after
    const expected = expectationsFor(request, length, exports, false);
    replies.length = 0;
    lengths[0] = length;
    let crashed = false;
    try {
      handler(slab, maxFrame, lengths, 1);
    } catch (error) {
      crashed = true;
      crashes++;
      if (tally.problems.length < 20) tally.problems.push(`crash: ${(error as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
    }
    const ok = checkReplies(tally, request, length, replies, exports, expected, maxFrame, FUZZ_TARGET_MAC);
    const violations = guardViolations(guards);
    const newViolation = violations > violationsSeen;
    if (newViolation && tally.problems.length < 20)
      tally.problems.push(
        `store access outside the window: ${JSON.stringify(guards.flatMap((guard) => guard.violations).slice(-1))} (request ${slab.subarray(0, Math.min(length, 48)).toString('hex')})`,
      );
    violationsSeen = violations;
    if ((crashed || !ok || newViolation) && options.crasherDir && index >= replay.length && crashersSaved.length < 50) {
      mkdirSync(options.crasherDir, { recursive: true });
      const file = path.join(options.crasherDir, `seed${seed}-frame${index}.hex`);
      writeFileSync(file, `${slab.subarray(0, length).toString('hex')}\n`);
      crashersSaved.push(file);
    }
    if ((index & 1023) === 1023 || index === total - 1) {
      const stats = engine.stats();
      leakedPoolSlots = Math.max(leakedPoolSlots, stats.poolSize - stats.poolFree);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await target.stop();
  return {
    frames: total,
    seed,
    mtu,
    crashes,
    guardViolations: guardViolations(guards),
    leakedPoolSlots,
    storeReads: guards[0].reads + guards[2].reads + guards[3].reads,
    storeWrites: guards[0].writes + guards[2].writes + guards[3].writes,
    framesPerSecond: Math.round(total / seconds),
    seconds: Math.round(seconds * 10) / 10,
    byKind,
    framesChecked: tally.framesChecked,
    replies: tally.replies,
    unexpectedReplies: tally.unexpectedReplies,
    missingReplies: tally.missingReplies,
    duplicateReplies: tally.duplicateReplies,
    malformedReplies: tally.malformedReplies,
    problems: tally.problems,
    crashersSaved,
  };
}
