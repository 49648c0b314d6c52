// One receive dispatcher per Link: routes data replies to devices, control replies to waiters, and batches sends.
import { performance } from 'node:perf_hooks';
import type { Link } from '../link/link.js';
import { ATA_DATA_OFFSET } from '../wire/constants.js';
import * as frameHeader from '../wire/frame-header.js';

// Module-level copies of the src/wire functions called per frame: V8 (Node 20) re-checks an imported binding at every
// call from optimized code (cell load, hole check, target check); a module const is folded away (bench/initiator-hot-path.mjs).
const { isAoeFrame, isResponse, readShelf, readSlot, readTag } = frameHeader;

/** Tags with bit 31 set belong to a device's data plane (see tags in frame-table.ts); others are control-plane requests. */
export const DATA_TAG_BIT = 0x80000000;

/** A device's data-plane receiver: returns true when the frame was its own (matched shelf.slot). */
export interface DataReceiver {
  /**
   * The frame at slab[base] of `length` bytes is a response with a data tag; `tag`, `shelf` and `slot` are decoded
   * once by the port for every receiver. `now` is the batch's arrival time (one clock read per received batch).
   */
  handleData(slab: Buffer, base: number, length: number, tag: number, shelf: number, slot: number, port: LinkPort, now: number): boolean;
  /** Called once after each received batch so the device can refill windows and flush sends. */
  afterBatch(): void;
}

/** Control replies are copied out of the slab (control traffic is rare) and handed to the waiter. */
export type ControlHandler = (frame: Buffer) => void;

const ports = new WeakMap<Link, LinkPort>();

export class LinkPort {
  readonly link: Link;
  private readonly receivers: DataReceiver[] = [];
  private readonly controlWaiters = new Map<number, ControlHandler>();
  private nextControlTag = 1 + Math.floor(Math.random() * 0x3fff0000);
  private sendFrames: Uint8Array[] = new Array(256);
  private sendLengths = new Uint32Array(256);
  private sendOffsets = new Uint32Array(256);
  /** The slab every queued frame lives in (one link.sendSlab), or null when they come from several. */
  private sendSlab: Uint8Array | null = null;
  private sendCount = 0;
  /** Views of reply payloads in the receive slab by frame position, reused while the slab stays (no view per frame). */
  private payloadViews: (Uint8Array | undefined)[] = [];
  private payloadSlab: Buffer | undefined;
  /** Bytes from one received frame to the next in the slab (the link's receive stride). */
  private receiveStride = 1;
  private retryTimer: NodeJS.Immediate | undefined;
  private closed = false;
  /** Frames the link refused and we re-queued (ENOBUFS back-pressure). */
  sendRetries = 0;

  private constructor(link: Link) {
    this.link = link;
    link.onFrames((slab, stride, lengths, count) => this.receive(slab, stride, lengths, count));
  }

  /** The single port of a link (created on first use; shared by discovery, control-plane requests and devices). */
  static of(link: Link): LinkPort {
    let port = ports.get(link);
    if (!port || port.closed) {
      port = new LinkPort(link);
      ports.set(link, port);
    }
    return port;
  }

  addReceiver(receiver: DataReceiver): void {
    if (!this.receivers.includes(receiver)) this.receivers.push(receiver);
  }

  removeReceiver(receiver: DataReceiver): void {
    const index = this.receivers.indexOf(receiver);
    if (index >= 0) this.receivers.splice(index, 1);
  }

  /** A fresh control tag (bit 31 clear, never 0). */
  allocateControlTag(): number {
    this.nextControlTag = (this.nextControlTag + 1) & 0x7fffffff || 1;
    return this.nextControlTag;
  }

  /** Wait for replies carrying `tag` (the handler stays installed until `unlisten`). */
  listen(tag: number, handler: ControlHandler): void {
    this.controlWaiters.set(tag, handler);
  }

  unlisten(tag: number): void {
    this.controlWaiters.delete(tag);
  }

  /** Queue one frame (`frame` is slab[offset ..]) for the next flush; the frame buffer must stay untouched until then. */
  queue(frame: Uint8Array, slab: Uint8Array, offset: number, length: number): void {
    const index = this.sendCount;
    if (index === this.sendLengths.length) this.growQueue();
    this.sendFrames[index] = frame;
    this.sendLengths[index] = length;
    this.sendOffsets[index] = offset;
    if (index === 0) this.sendSlab = slab;
    else if (slab !== this.sendSlab) this.sendSlab = null;
    this.sendCount = index + 1;
  }

  /** Send everything queued in one native call (sendSlab when the link has it); refused frames are retried on the next turn of the event loop. */
  flush(): void {
    if (this.sendCount === 0 || this.closed) return;
    const link = this.link;
    const sent =
      this.sendSlab !== null && link.sendSlab !== undefined
        ? link.sendSlab(this.sendSlab, this.sendOffsets, this.sendLengths, this.sendCount)
        : link.send(this.sendFrames, this.sendLengths, this.sendCount);
    if (sent >= this.sendCount) {
      this.sendCount = 0;
      return;
    }
    if (sent === 0 && (!this.link.state.up || !this.link.state.carrier)) {
      this.sendCount = 0; // link down: these frames are lost; the device's retransmit scan re-issues them elsewhere
      return;
    }
    const rest = this.sendCount - sent;
    this.sendRetries += rest;
    for (let index = 0; index < rest; index += 1) {
      this.sendFrames[index] = this.sendFrames[sent + index];
      this.sendLengths[index] = this.sendLengths[sent + index];
      this.sendOffsets[index] = this.sendOffsets[sent + index];
    }
    this.sendCount = rest;
    if (!this.retryTimer) {
      this.retryTimer = setImmediate(() => {
        this.retryTimer = undefined;
        this.flush();
      });
    }
  }

  /** Send one frame now (control plane). Returns false when the link refused it. */
  sendNow(frame: Uint8Array, length: number): boolean {
    return this.link.send([frame], [length], 1) === 1;
  }

  /** Forget queued frames (used when a path goes down: its frames will be re-issued elsewhere). */
  dropQueued(): void {
    this.sendCount = 0;
  }

  detach(): void {
    this.closed = true;
    if (this.retryTimer) clearImmediate(this.retryTimer);
    this.retryTimer = undefined;
    this.sendCount = 0;
    this.controlWaiters.clear();
    this.receivers.length = 0;
    this.link.onFrames(() => {});
    if (ports.get(this.link) === this) ports.delete(this.link);
  }

  /**
   * The `bytes` of ATA data of the reply at `base` in the batch being received (a cached view: valid until the
   * handler returns, like the slab).
   */
  replyPayload(slab: Buffer, base: number, bytes: number): Uint8Array {
    const index = (base / this.receiveStride) | 0;
    let view = this.payloadViews[index];
    if (view === undefined || view.length !== bytes) {
      view = new Uint8Array(slab.buffer, slab.byteOffset + base + ATA_DATA_OFFSET, bytes);
      this.payloadViews[index] = view;
    }
    return view;
  }

  private growQueue(): void {
    const capacity = this.sendLengths.length * 2;
    const lengths = new Uint32Array(capacity);
    const offsets = new Uint32Array(capacity);
    lengths.set(this.sendLengths);
    offsets.set(this.sendOffsets);
    this.sendLengths = lengths;
    this.sendOffsets = offsets;
    this.sendFrames.length = capacity;
  }

  private receive(slab: Buffer, stride: number, lengths: Uint32Array, count: number): void {
    if (slab !== this.payloadSlab || stride !== this.receiveStride) {
      this.payloadSlab = slab;
      this.receiveStride = stride;
      this.payloadViews.length = 0;
    }
    let now = -1;
    for (let index = 0; index < count; index += 1) {
      const base = index * stride;
      const length = lengths[index];
      if (!isAoeFrame(slab, length, base) || !isResponse(slab, base)) continue;
      const tag = readTag(slab, base);
      if ((tag & DATA_TAG_BIT) !== 0) {
        if (now < 0) now = performance.now();
        const shelf = readShelf(slab, base);
        const slot = readSlot(slab, base);
        for (let r = 0; r < this.receivers.length; r += 1) {
          if (this.receivers[r].handleData(slab, base, length, tag, shelf, slot, this, now)) break;
        }
      } else {
        const handler = this.controlWaiters.get(tag);
        if (handler) handler(Buffer.from(slab.subarray(base, base + length)));
      }
    }
    if (now >= 0) for (let r = 0; r < this.receivers.length; r += 1) this.receivers[r].afterBatch();
  }
}
