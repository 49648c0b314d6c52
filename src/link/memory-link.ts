// Simulated links on an in-process hub (batched slab delivery, MTU, carrier, seeded impairments) for unit tests.
import { EventEmitter } from 'node:events';
import { ETHERNET_HEADER_LENGTH } from '../wire/constants.js';
import type { FrameBatchHandler, Link, LinkState, LinkStats } from './link.js';
import type { MemoryHub } from './memory-hub.js';
import { ReceiveSlab } from './memory-slab.js';
import {
  MemoryLinkError,
  emptyImpairmentStats,
  resolveImpairment,
  type Impairment,
  type ImpairmentStats,
  type ResolvedImpairment,
} from './memory-impairment.js';

export { MemoryLinkError, type Impairment, type ImpairmentStats } from './memory-impairment.js';
export { MemoryHub, type MemoryHubOptions } from './memory-hub.js';

export interface MemoryLinkOptions {
  /** 48-bit MAC; default 02:00:00:00:00:NN, NN counting up per hub from 1. */
  mac?: number;
  /** Default 1500. */
  mtu?: number;
  impairment?: Impairment;
  /** Frames send() accepts per event-loop turn; beyond that it returns fewer (EAGAIN-like, counted as sendBlocked). */
  sendCapacity?: number;
  /** Receive slab slots (frames buffered between two handler calls; more are dropped as kernelDrops). Default 64. */
  receiveSlots?: number;
}

const DEFAULT_MTU = 1500;
const DEFAULT_RECEIVE_SLOTS = 64;
/** Slots fit jumbo frames by default, so raising the MTU up to 9216 never reallocates. */
const MIN_SLOT_MTU = 9216;

function slotSizeFor(mtu: number): number {
  return Math.ceil((Math.max(mtu, MIN_SLOT_MTU) + ETHERNET_HEADER_LENGTH) / 64) * 64;
}

function checkMtu(mtu: number): number {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new MemoryLinkError('ERR_INVALID_ARG_VALUE', `mtu must be an integer in [68, 65535], got ${mtu}`);
  }
  return mtu;
}

export class MemoryLink extends EventEmitter implements Link {
  readonly name: string;
  readonly mac: number;
  private currentMtu: number;
  private currentState: LinkState = { up: true, carrier: true };
  private impairment: ResolvedImpairment;
  private sendCapacity: number | undefined;
  private sentThisTurn = 0;
  private turnResetScheduled = false;
  private readonly slab: ReceiveSlab;
  private flushScheduled = false;
  private handler: FrameBatchHandler | undefined;
  private held: Buffer;
  private heldLength = 0;
  private heldCopies = 1;
  private heldReleaseScheduled = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly counters: LinkStats = {
    framesIn: 0,
    bytesIn: 0,
    framesOut: 0,
    bytesOut: 0,
    batchesIn: 0,
    sendBlocked: 0,
    sendErrors: 0,
    kernelDrops: 0,
  };
  private readonly impairmentCounters = emptyImpairmentStats();

  /** Use MemoryHub.attach(). */
  constructor(
    private readonly hub: MemoryHub,
    name: string,
    mac: number,
    options: MemoryLinkOptions,
  ) {
    super();
    this.name = name;
    this.mac = mac;
    this.currentMtu = checkMtu(options.mtu ?? DEFAULT_MTU);
    this.impairment = resolveImpairment(options.impairment);
    this.setSendCapacity(options.sendCapacity);
    this.slab = new ReceiveSlab(options.receiveSlots ?? DEFAULT_RECEIVE_SLOTS, slotSizeFor(this.currentMtu));
    this.held = Buffer.alloc(slotSizeFor(this.currentMtu));
  }

  get mtu(): number {
    return this.currentMtu;
  }

  get state(): LinkState {
    return this.currentState;
  }

  send(frames: readonly Uint8Array[], lengths: ArrayLike<number>, count: number): number {
    const accepted = this.admit(count);
    for (let i = 0; i < accepted; i++) this.transmit(frames[i], lengths[i]);
    return accepted;
  }

  /** send() from one slab (frame i = slab[offsets[i] .. + lengths[i]]), like PacketLink.sendSlab. */
  sendSlab(slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): number {
    const accepted = this.admit(count);
    for (let i = 0; i < accepted; i++) this.transmit(slab.subarray(offsets[i], offsets[i] + lengths[i]), lengths[i]);
    return accepted;
  }

  /** How many of `count` frames this turn accepts (0 while closed or down: counted as sendErrors). */
  private admit(count: number): number {
    if (this.closed || !this.currentState.up || !this.currentState.carrier) {
      this.counters.sendErrors += count;
      return 0;
    }
    let accepted = count;
    if (this.sendCapacity !== undefined) {
      accepted = Math.max(0, Math.min(count, this.sendCapacity - this.sentThisTurn));
      this.sentThisTurn += accepted;
      this.counters.sendBlocked += count - accepted;
      if (!this.turnResetScheduled) {
        this.turnResetScheduled = true;
        setImmediate(() => {
          this.turnResetScheduled = false;
          this.sentThisTurn = 0;
        });
      }
    }
    return accepted;
  }

  onFrames(handler: FrameBatchHandler): void {
    this.handler = handler;
    this.scheduleFlush();
  }

  stats(): LinkStats {
    return { ...this.counters };
  }

  impairmentStats(): ImpairmentStats {
    return { ...this.impairmentCounters };
  }

  /** Replace this link's egress impairment (fields left out become 0). */
  setImpairment(impairment: Impairment): void {
    this.impairment = resolveImpairment(impairment);
  }

  /** Frames per event-loop turn that send() accepts; undefined = unlimited. */
  setSendCapacity(capacity: number | undefined): void {
    if (capacity !== undefined && !(Number.isInteger(capacity) && capacity >= 0)) {
      throw new MemoryLinkError('ERR_INVALID_ARG_VALUE', `sendCapacity must be an integer >= 0, got ${capacity}`);
    }
    this.sendCapacity = capacity;
  }

  /** Carrier on/off: while off, send() returns 0 (sendErrors) and frames arriving here are lost. Emits 'state'. */
  setCarrier(up: boolean): void {
    if (this.currentState.carrier === up) return;
    this.currentState = { up: this.currentState.up, carrier: up };
    this.emit('state', this.currentState);
  }

  setMtu(mtu: number): void {
    checkMtu(mtu);
    if (mtu === this.currentMtu) return;
    this.currentMtu = mtu;
    this.slab.grow(slotSizeFor(mtu));
    this.emit('mtu', mtu);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.detach(this);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.handler = undefined;
  }

  /** @internal Called by the hub for each frame addressed to this link. */
  receiveFromWire(frame: Uint8Array, length: number): void {
    if (this.closed) return;
    if (!this.currentState.up || !this.currentState.carrier) {
      this.impairmentCounters.carrierDropped++;
      return;
    }
    if (length > this.currentMtu + ETHERNET_HEADER_LENGTH) {
      this.impairmentCounters.oversizeDropped++;
      return;
    }
    if (!this.slab.push(frame, length)) {
      this.impairmentCounters.overflowDropped++;
      this.counters.kernelDrops++;
      return;
    }
    this.scheduleFlush();
  }

  private transmit(frame: Uint8Array, length: number): void {
    if (length > this.currentMtu + ETHERNET_HEADER_LENGTH || length > frame.length) {
      this.impairmentCounters.oversizeDropped++;
      this.counters.sendErrors++;
      return;
    }
    this.counters.framesOut++;
    this.counters.bytesOut += length;
    const { lossRate, duplicateRate, reorderRate } = this.impairment;
    const random = this.hub.random;
    if (lossRate > 0 && random() < lossRate) {
      this.impairmentCounters.lost++;
      return;
    }
    let copies = 1;
    if (duplicateRate > 0 && random() < duplicateRate) {
      this.impairmentCounters.duplicated++;
      copies = 2;
    }
    if (reorderRate > 0 && this.heldLength === 0 && random() < reorderRate) {
      this.impairmentCounters.reordered++;
      this.hold(frame, length, copies);
      return;
    }
    this.toWire(frame, length, copies);
    if (this.heldLength > 0) this.releaseHeld();
  }

  /** Keep one frame back; it follows the next frame sent, or goes at the next event-loop turn. */
  private hold(frame: Uint8Array, length: number, copies: number): void {
    if (length > this.held.length) this.held = Buffer.alloc(slotSizeFor(this.currentMtu));
    Buffer.prototype.copy.call(frame, this.held, 0, 0, length);
    this.heldLength = length;
    this.heldCopies = copies;
    if (this.heldReleaseScheduled) return;
    this.heldReleaseScheduled = true;
    setImmediate(() => {
      this.heldReleaseScheduled = false;
      if (this.heldLength > 0 && !this.closed) this.releaseHeld();
    });
  }

  private releaseHeld(): void {
    const length = this.heldLength;
    this.heldLength = 0;
    this.toWire(this.held, length, this.heldCopies);
  }

  private toWire(frame: Uint8Array, length: number, copies: number): void {
    const delayMs = this.impairment.delayMs;
    if (delayMs > 0) {
      this.impairmentCounters.delayed++;
      const copy = Buffer.from(frame.subarray(0, length)); // impaired path only: a held frame needs its own bytes
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        for (let i = 0; i < copies; i++) this.hub.route(this, copy, length);
      }, delayMs);
      timer.unref();
      this.timers.add(timer);
      return;
    }
    for (let i = 0; i < copies; i++) this.hub.route(this, frame, length);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.handler === undefined || this.slab.pending === 0) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const handler = this.handler;
    if (this.closed || handler === undefined || this.slab.pending === 0) return;
    this.slab.deliver(handler, this.counters);
  }
}
