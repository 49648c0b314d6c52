// A synchronous in-process Link for bench/initiator-hot-path.mjs: its far end is a minimal AoE target that answers every frame.
import { EventEmitter } from 'node:events';

export const TARGET_MAC = 0x020000000200;
export const INITIATOR_MAC = 0x020000000100;
const SLOT_SIZE = 9280;
const SLOTS = 512;

/**
 * A Link whose far end is a minimal AoE target: replies are built in one receive slab (like PacketLink's) and delivered
 * in one batch per microtask. Replies to frames sent while a batch is handled (afterBatch) start a new batch at slot 0:
 * the handler is done reading the old one by then.
 */
export class LoopbackLink extends EventEmitter {
  constructor(mtu, buildIdentify, diskSectors) {
    super();
    this.buildIdentify = buildIdentify;
    this.diskSectors = diskSectors;
    this.name = 'loop0';
    this.mac = INITIATOR_MAC;
    this.mtu = mtu;
    this.state = { up: true, carrier: true };
    this.slab = Buffer.alloc(SLOT_SIZE * SLOTS);
    this.lengths = new Uint32Array(SLOTS);
    this.delivered = new Uint32Array(SLOTS);
    this.count = 0;
    this.scheduled = false;
    this.handler = () => {};
    this.replies = 0;
    this.deliverBound = () => this.deliver();
  }

  onFrames(handler) { this.handler = handler; }
  stats() { return { framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, batchesIn: 0, sendBlocked: 0, sendErrors: 0, kernelDrops: 0 }; }
  async close() {}

  send(frames, lengths, count) {
    for (let index = 0; index < count; index += 1) this.answer(frames[index], 0, lengths[index]);
    this.schedule();
    return count;
  }

  sendSlab(slab, offsets, lengths, count) {
    for (let index = 0; index < count; index += 1) this.answer(slab, offsets[index], lengths[index]);
    this.schedule();
    return count;
  }

  schedule() {
    if (this.scheduled || this.count === 0) return;
    this.scheduled = true;
    queueMicrotask(this.deliverBound);
  }

  deliver() {
    this.scheduled = false;
    const count = this.count;
    for (let index = 0; index < count; index += 1) this.delivered[index] = this.lengths[index];
    this.count = 0;
    this.replies += count;
    this.handler(this.slab, SLOT_SIZE, this.delivered, count);
  }

  /** Turn the request at frame[at] into its reply in the pending receive slab. */
  answer(frame, at, length) {
    if (this.count === SLOTS) return;
    const slab = this.slab;
    const base = this.count * SLOT_SIZE;
    for (let index = 0; index < 6; index += 1) {
      slab[base + index] = frame[at + 6 + index];
      slab[base + 6 + index] = frame[at + index];
    }
    for (let index = 12; index < 24; index += 1) slab[base + index] = frame[at + index];
    slab[base + 14] |= 0x08; // response
    slab[base + 16] = 0;
    slab[base + 17] = 1;
    slab[base + 18] = 1; // always answer as e1.1
    slab[base + 6] = 0x02; // source = TARGET_MAC (02:00:00:00:02:00)
    slab[base + 7] = 0; slab[base + 8] = 0; slab[base + 9] = 0; slab[base + 10] = 0x02; slab[base + 11] = 0;
    const command = frame[at + 19];
    let replyLength = 60;
    if (command === 1) {
      // Query Config: buffer count 64, sector count = what the MTU allows, version 1, no string.
      slab.fill(0, base + 24, base + 32);
      slab[base + 25] = 64;
      slab[base + 28] = Math.floor((this.mtu - 22) / 512);
      slab[base + 29] = 0x10;
    } else {
      for (let index = 24; index < 36; index += 1) slab[base + index] = frame[at + index];
      const ataCommand = frame[at + 27];
      const sectors = frame[at + 26];
      slab[base + 27] = 0x40; // DRDY
      slab[base + 25] = 0;
      if (ataCommand === 0xec) {
        this.buildIdentify({ serial: 'BENCH', firmware: '1', model: 'loopback', sectors: this.diskSectors }, slab, base + 36);
        replyLength = 36 + 512;
      } else if (ataCommand === 0x24 || ataCommand === 0x20) {
        replyLength = 36 + sectors * 512;
      }
    }
    this.lengths[this.count] = replyLength;
    this.count += 1;
  }
}

