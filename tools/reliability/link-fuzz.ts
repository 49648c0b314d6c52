// Scenario 6b: fuzz frames from a raw socket over a real link into a target engine (guarded stores), replies checked by tag.
import { performance } from 'node:perf_hooks';
import type { Link } from '../../src/link/link.js';
import type { Target } from '../../src/blade/server.js';
import { addressedExports, MUST_REPLY, replyProblems, SILENT, expectation } from './fuzz-oracle.js';
import { FrameFuzzer } from './fuzz-frames.js';
import { guardViolations, resetControlState } from './fuzz-rig.js';
import type { GuardStore } from './guard-store.js';

const PREFIX = 48;

export interface LinkFuzzFigures {
  frames: number;
  sent: number;
  sendRefused: number;
  replies: number;
  unexpectedReplies: number;
  malformedReplies: number;
  /** Requests the protocol says must be answered that got no reply (lossy over a real link: reported, not asserted). */
  unansweredMustReply: number;
  guardViolations: number;
  targetKernelDrops: number;
  seconds: number;
  problems: string[];
}

/**
 * Send `frames` fuzz frames on `sender` (a raw link facing the target's NIC) and check the replies: silence where
 * the protocol says so (state-independent rules only: the target's state changes while frames are in flight).
 */
export async function runLinkFuzz(options: {
  sender: Link;
  target: Target;
  guards: GuardStore[];
  targetMac: number;
  frames: number;
  seed?: number;
  sources: number[];
}): Promise<LinkFuzzFigures> {
  const { sender, target, targetMac } = options;
  const exports = target.exports;
  const maxFrame = sender.mtu + 14;
  const fuzzer = new FrameFuzzer(
    {
      targetMac,
      sources: options.sources,
      exports: exports.map((runtime) => ({ shelf: runtime.shelf, slot: runtime.slot, sectors: runtime.sectors })),
      maxFrame,
    },
    options.seed ?? 77,
  );
  const prefixes = Buffer.alloc(options.frames * PREFIX);
  const lengths = new Uint32Array(options.frames);
  const mustReply = new Uint8Array(options.frames);
  const answered = new Uint8Array(options.frames);
  const figures: LinkFuzzFigures = {
    frames: options.frames,
    sent: 0,
    sendRefused: 0,
    replies: 0,
    unexpectedReplies: 0,
    malformedReplies: 0,
    unansweredMustReply: 0,
    guardViolations: 0,
    targetKernelDrops: 0,
    seconds: 0,
    problems: [],
  };
  const silentMask = new Uint8Array(options.frames); // bit e set: export e must stay silent
  const note = (problem: string) => {
    if (figures.problems.length < 20) figures.problems.push(problem);
  };
  sender.onFrames((slab, slotSize, frameLengths, count) => {
    for (let i = 0; i < count; i++) {
      const base = i * slotSize;
      const length = frameLengths[i];
      if (length < 24 || slab[base + 12] !== 0x88 || slab[base + 13] !== 0xa2 || (slab[base + 14] & 0x08) === 0) continue;
      if (slab.readUIntBE(base + 6, 6) !== targetMac) continue;
      figures.replies++;
      const index = slab.readUInt32BE(base + 20);
      if (index >= options.frames) {
        figures.malformedReplies++;
        note(`reply with unknown tag ${index}`);
        continue;
      }
      const request = prefixes.subarray(index * PREFIX, index * PREFIX + PREFIX);
      const reply = slab.subarray(base, base + length);
      const problems = replyProblems(reply, length, request, lengths[index], targetMac, exports, maxFrame);
      if (problems.length > 0) {
        figures.malformedReplies++;
        note(`${problems.join('; ')} (request ${request.toString('hex')})`);
        continue;
      }
      const exportIndex = exports.findIndex((runtime) => runtime.shelf === reply.readUInt16BE(16) && runtime.slot === reply[18]);
      if ((silentMask[index] >> exportIndex) & 1) {
        figures.unexpectedReplies++;
        note(`reply where silence is due (request ${request.toString('hex')})`);
      }
      answered[index] = 1;
    }
  });
  const frame = Buffer.alloc(maxFrame);
  const batch: Buffer[] = [];
  const batchLengths: number[] = [];
  const started = performance.now();
  for (let index = 0; index < options.frames; index++) {
    if ((index & 511) === 0) {
      await new Promise((resolve) => setTimeout(resolve, 2)); // let the target drain; state reset needs a quiet moment
      resetControlState(exports);
    }
    let length = fuzzer.next(frame);
    if (length < 24) length = 24 + (index % 40); // the tag must fit; runt-ness is covered in memory
    frame.writeUInt32BE(index, 20);
    frame.copy(prefixes, index * PREFIX, 0, Math.min(length, PREFIX));
    lengths[index] = length;
    let silent = 0;
    exports.forEach((runtime, exportIndex) => {
      if (!addressedExports(frame, length, [runtime]).length) {
        silent |= 1 << exportIndex;
        return;
      }
      const expected = expectation(frame, length, runtime, true);
      if (expected === SILENT) silent |= 1 << exportIndex;
      if (expected === MUST_REPLY) mustReply[index] = 1;
    });
    silentMask[index] = silent;
    batch.push(Buffer.from(frame.subarray(0, length)));
    batchLengths.push(length);
    if (batch.length === 32 || index === options.frames - 1) {
      let offset = 0;
      while (offset < batch.length) {
        const accepted = sender.send(batch.slice(offset), batchLengths.slice(offset), batch.length - offset);
        figures.sent += accepted;
        offset += accepted;
        if (offset < batch.length) {
          figures.sendRefused++;
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
      batch.length = 0;
      batchLengths.length = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  figures.seconds = Math.round((performance.now() - started) / 100) / 10;
  for (let index = 0; index < options.frames; index++) if (mustReply[index] && !answered[index]) figures.unansweredMustReply++;
  figures.guardViolations = guardViolations(options.guards);
  figures.targetKernelDrops = target.engines.reduce((sum, engine) => sum + engine.link.stats().kernelDrops, 0);
  return figures;
}
