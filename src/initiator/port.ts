// One receive dispatcher per Link: routes data replies to devices, control replies to waiters, and batches sends.
import type { Link } from '../link/link.js';
import { ETHERTYPE_AOE, FLAG_RESPONSE } from '../wire/constants.js';

/** Tags with bit 31 set belong to a device's data plane (see tags in device-slots.ts); others are control requests. */
export const DATA_TAG_BIT = 0x80000000;

/** A device's data-plane receiver: returns true when the frame was its own (matched shelf.slot). */
export interface DataReceiver {
  handleData(slab: Buffer, base: number, length: number, tag: number, port: LinkPort): boolean;
  /** Called once after each received batch so the device can refill windows and flush sends. */
  afterBatch(): void;
}

/** Control replies are copied out of the slab (control traffic is rare) and handed to the waiter. */
export type ControlHandler = (frame: Buffer) => void;

const ports = new WeakMap<Link, LinkPort>();

export class LinkPort {
  readonly link: Link;
  private readonly receivers: DataReceiver[] = [];
  private readonly control = new Map<number, ControlHandler>();
  private nextControlTag = 1 + Math.floor(Math.random() * 0x3fff0000);
  private sendFrames: Uint8Array[] = new Array(256);
  private sendLengths = new Uint32Array(256);
  private sendCount = 0;
  private retryTimer: NodeJS.Immediate | undefined;
  private closed = false;
  /** Frames the link refused and we re-queued (ENOBUFS back-pressure). */
  sendRetries = 0;

  private constructor(link: Link) {
    this.link = link;
    link.onFrames((slab, slotSize, lengths, count) => this.receive(slab, slotSize, lengths, count));
  }

  /** The single port of a link (created on first use; shared by discovery, control helpers and devices). */
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
    this.control.set(tag, handler);
  }

  unlisten(tag: number): void {
    this.control.delete(tag);
  }

  /** Queue one frame for the next flush (the frame buffer must stay untouched until then). */
  queue(frame: Uint8Array, length: number): void {
    if (this.sendCount === this.sendLengths.length) {
      const lengths = new Uint32Array(this.sendLengths.length * 2);
      lengths.set(this.sendLengths);
      this.sendLengths = lengths;
      this.sendFrames.length = lengths.length;
    }
    this.sendFrames[this.sendCount] = frame;
    this.sendLengths[this.sendCount] = length;
    this.sendCount += 1;
  }

  /** Send everything queued with one link.send(); refused frames are retried on the next turn of the event loop. */
  flush(): void {
    if (this.sendCount === 0 || this.closed) return;
    const sent = this.link.send(this.sendFrames, this.sendLengths, this.sendCount);
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
    this.control.clear();
    this.receivers.length = 0;
    this.link.onFrames(() => {});
    if (ports.get(this.link) === this) ports.delete(this.link);
  }

  private receive(slab: Buffer, slotSize: number, lengths: Uint32Array, count: number): void {
    let sawData = false;
    for (let index = 0; index < count; index += 1) {
      const base = index * slotSize;
      const length = lengths[index];
      if (length < 24) continue;
      if (((slab[base + 12] << 8) | slab[base + 13]) !== ETHERTYPE_AOE) continue;
      if ((slab[base + 14] & FLAG_RESPONSE) === 0) continue;
      const tag = slab.readUInt32BE(base + 20);
      if ((tag & DATA_TAG_BIT) !== 0) {
        sawData = true;
        for (let r = 0; r < this.receivers.length; r += 1) {
          if (this.receivers[r].handleData(slab, base, length, tag, this)) break;
        }
      } else {
        const handler = this.control.get(tag);
        if (handler) handler(Buffer.from(slab.subarray(base, base + length)));
      }
    }
    if (sawData) for (let r = 0; r < this.receivers.length; r += 1) this.receivers[r].afterBatch();
  }
}
