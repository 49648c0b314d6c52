// Per-NIC target engine: the receive check ladder, shelf.slot dispatch, acquiring response frames (pool: response-pool.ts, sending: send-queue.ts).
import type { Link, LinkState } from '../link/link.js';
import type { Logger } from '../log.js';
import {
  AOE_VERSION, AoeError, BROADCAST_SHELF, BROADCAST_SLOT, Command, ETHERNET_MIN_FRAME, FLAG_ERROR, FLAG_RESPONSE, sectorsForMtu,
} from '../wire/constants.js';
import { readMac } from '../wire/mac.js';
import { handleAta } from './ata.js';
import { handleConfig, handleMask, handleReserve, writeConfigReply } from './control.js';
import type { ExportRuntime } from './export.js';
import { mergeableFd, RequestMerger } from './coalesce.js';
import { type RequestSlot, ResponsePool } from './response-pool.js';
import { SendQueue } from './send-queue.js';
import { NicCounters, type NicStatsSnapshot } from './stats.js';

/** AoE header (24 bytes incl. Ethernet) + the fixed argument length per command, for error replies that echo the argument. */
const ARG_LENGTH_BY_COMMAND = [12, 8, 4, 2];
const IDENTIFY_REPLY_LENGTH = 36 + 512;

export { RequestSlot } from './response-pool.js';

export interface NicEngineOptions {
  logger: Logger;
  /** Response frames in the pool (default max(64, 4 x sum of the exports' buffer counts)). */
  poolSize?: number;
  /** Re-announce (unsolicited Query Config broadcast) when the link comes back up. */
  announce?: boolean;
}

export class NicEngine {
  readonly counters = new NicCounters();
  /** Max sectors per ATA command on this NIC: sectorsForMtu(link.mtu), advertised in Query Config. */
  maxSectors: number;
  /** Merges contiguous reads/writes of one receive batch into one preadv/pwritev (buffered file exports). */
  readonly merger = new RequestMerger();
  private frameSize: number;
  private mergeRuntime: ExportRuntime | null = null;
  private mergeRuntimeFd = -1;
  private lastKey = -1;
  private lastRuntime: ExportRuntime | undefined;
  private batchSlotSize = 1;
  private readonly mergeFds = new Map<ExportRuntime, number>();
  private readonly byKey = new Map<number, ExportRuntime>();
  /** Every response frame lives in one slab, so a batch of replies is one link.sendSlab() with no per-frame lookups. */
  private readonly responses: ResponsePool;
  private readonly sendQueue: SendQueue<RequestSlot>;
  private stopping = false;
  private lastState: LinkState;
  private readonly logger: Logger;

  constructor(readonly link: Link, readonly exports: ExportRuntime[], private readonly options: NicEngineOptions) {
    this.logger = options.logger;
    this.maxSectors = sectorsForMtu(link.mtu);
    this.frameSize = this.frameSizeFor(link.mtu);
    for (const runtime of exports) {
      this.byKey.set(runtime.key, runtime);
      this.mergeFds.set(runtime, mergeableFd(runtime.store));
    }
    const buffers = exports.reduce((sum, runtime) => sum + runtime.bufferCount, 0);
    const poolSize = options.poolSize ?? Math.max(64, 4 * buffers);
    this.sendQueue = new SendQueue<RequestSlot>(link, this.counters, poolSize, (slot) => this.release(slot));
    this.responses = new ResponsePool(this, poolSize, link.mac, this.frameSize);
    this.lastState = { ...link.state };
  }

  start(): void {
    this.link.on('mtu', this.onMtu);
    this.link.on('state', this.onState);
    this.link.onFrames(this.handleBatch);
  }

  private frameSizeFor(mtu: number): number {
    return Math.max(mtu + 14, IDENTIFY_REPLY_LENGTH, ETHERNET_MIN_FRAME);
  }

  private readonly onMtu = (mtu: number): void => {
    this.maxSectors = sectorsForMtu(mtu);
    this.frameSize = this.frameSizeFor(mtu);
    this.responses.ensureFrameSize(this.frameSize);
    this.logger.info({ nic: this.link.name, mtu, sectorCount: this.maxSectors }, 'MTU changed');
  };

  private readonly onState = (state: LinkState): void => {
    const wasUp = this.lastState.up && this.lastState.carrier;
    const isUp = state.up && state.carrier;
    this.lastState = { ...state };
    this.logger.info({ nic: this.link.name, up: state.up, carrier: state.carrier }, isUp ? 'link up' : 'link down');
    if (isUp && !wasUp) {
      if (this.options.announce) this.announce();
      this.sendQueue.kick();
    }
  };

  // ---- receive path: the check ladder, cheapest checks first, fields read straight from the slab ----
  private readonly handleBatch = (slab: Buffer, slotSize: number, lengths: Uint32Array, count: number): void => {
    const counters = this.counters;
    if (this.stopping) {
      counters.droppedStopping += count;
      return;
    }
    const sendQueue = this.sendQueue;
    sendQueue.inBatch = true;
    this.batchSlotSize = slotSize;
    for (let i = 0; i < count; i++) {
      const offset = i * slotSize;
      const length = lengths[i];
      counters.framesIn++;
      counters.bytesIn += length;
      if (length < 24 || slab[offset + 12] !== 0x88 || slab[offset + 13] !== 0xa2) {
        counters.malformed++;
        continue;
      }
      const versionFlags = slab[offset + 14];
      if ((versionFlags & FLAG_RESPONSE) !== 0) {
        counters.responsesIgnored++;
        continue;
      }
      const shelf = (slab[offset + 16] << 8) | slab[offset + 17];
      const slotNumber = slab[offset + 18];
      if (shelf === BROADCAST_SHELF || slotNumber === BROADCAST_SLOT) {
        let matched = false;
        for (let e = 0; e < this.exports.length; e++) {
          const runtime = this.exports[e];
          if ((shelf === BROADCAST_SHELF || shelf === runtime.shelf) && (slotNumber === BROADCAST_SLOT || slotNumber === runtime.slot)) {
            matched = true;
            this.dispatch(runtime, slab, offset, length, versionFlags);
          }
        }
        if (!matched) counters.notForUs++;
      } else {
        const key = shelf * 256 + slotNumber;
        let runtime = this.lastRuntime;
        if (key !== this.lastKey) {
          runtime = this.byKey.get(key);
          this.lastKey = key;
          this.lastRuntime = runtime;
        }
        if (runtime === undefined) counters.notForUs++;
        else this.dispatch(runtime, slab, offset, length, versionFlags);
      }
    }
    this.merger.flush();
    sendQueue.inBatch = false;
    sendQueue.flush();
  };

  /** File descriptor for merged I/O on this export, or -1 (RAM, O_DIRECT, thread-pool or windowed stores). */
  mergeFd(runtime: ExportRuntime): number {
    if (runtime !== this.mergeRuntime) {
      this.mergeRuntime = runtime;
      this.mergeRuntimeFd = this.mergeFds.get(runtime) ?? -1;
    }
    return this.mergeRuntimeFd;
  }

  /** Receive-slab slot index of a frame at `offset` in the current batch. */
  slotIndex(offset: number): number {
    return (offset / this.batchSlotSize) | 0;
  }

  private dispatch(runtime: ExportRuntime, slab: Buffer, offset: number, length: number, versionFlags: number): void {
    const exportCounters = runtime.counters;
    exportCounters.framesIn++;
    exportCounters.bytesIn += length;
    // The allow list (-m) and the Mac Mask List are one list, checked before any command as vblade does
    // (aoe.c: `if (nmasks && !maskok(p->src)) continue;` ahead of doaoe): an unlisted MAC gets no answer to
    // ATA, Query Config (even a read), Mac Mask or Reserve/Release, so it can neither read nor change anything.
    if (runtime.macMask.length !== 0 && !runtime.maskAllows(readMac(slab, offset + 6))) {
      exportCounters.maskDenied++;
      return;
    }
    if (versionFlags >> 4 !== AOE_VERSION) {
      this.replyError(runtime, slab, offset, length, AoeError.UnsupportedVersion);
      return;
    }
    switch (slab[offset + 19]) {
      case Command.Ata: handleAta(this, runtime, slab, offset, length); return;
      case Command.QueryConfig: handleConfig(this, runtime, slab, offset, length); return;
      case Command.MacMask: handleMask(this, runtime, slab, offset, length); return;
      case Command.ReserveRelease: handleReserve(this, runtime, slab, offset, length); return;
      default: this.replyError(runtime, slab, offset, length, AoeError.UnrecognizedCommand);
    }
  }

  // ---- reply building ----
  /** Take a pooled frame for `runtime`, or count a pool-exhausted drop and return null. */
  acquire(runtime: ExportRuntime): RequestSlot | null {
    const slot = this.responses.take();
    if (slot === undefined) {
      this.counters.poolExhausted++;
      return null;
    }
    slot.exportRuntime = runtime;
    runtime.counters.inFlight++;
    this.counters.inFlight++;
    return slot;
  }

  release(slot: RequestSlot): void {
    const runtime = slot.exportRuntime;
    if (runtime !== null) runtime.counters.inFlight--;
    this.counters.inFlight--;
    slot.exportRuntime = null;
    this.responses.give(slot);
  }

  /** Write the reply's Ethernet + AoE header: to the request's source, from us, our shelf.slot (never broadcast), R flag, tag echoed. */
  startReply(slot: RequestSlot, runtime: ExportRuntime, slab: Buffer, offset: number, aoeError = 0): void {
    const frame = slot.frame;
    // Byte loops, not Buffer.copy: copy() allocates a view per call, which shows up at 100k+ frames/s.
    for (let i = 0; i < 6; i++) frame[i] = slab[offset + 6 + i];
    frame[14] = (AOE_VERSION << 4) | FLAG_RESPONSE | (aoeError !== 0 ? FLAG_ERROR : 0);
    frame[15] = aoeError;
    frame[16] = runtime.shelf >> 8;
    frame[17] = runtime.shelf & 0xff;
    frame[18] = runtime.slot;
    frame[19] = slab[offset + 19];
    frame[20] = slab[offset + 20];
    frame[21] = slab[offset + 21];
    frame[22] = slab[offset + 22];
    frame[23] = slab[offset + 23];
  }

  /** Reply with an AoE error in the header (never in the ATA registers), echoing the request's argument. */
  replyError(runtime: ExportRuntime, slab: Buffer, offset: number, length: number, aoeError: number): void {
    const slot = this.acquire(runtime);
    if (slot === null) return;
    this.startReply(slot, runtime, slab, offset, aoeError);
    const command = slab[offset + 19];
    const argLength = command < ARG_LENGTH_BY_COMMAND.length ? ARG_LENGTH_BY_COMMAND[command] : 0;
    const available = Math.min(argLength, length - 24);
    const frame = slot.frame;
    for (let i = 0; i < argLength; i++) frame[24 + i] = i < available ? slab[offset + 24 + i] : 0;
    runtime.counters.aoeErrors++;
    this.queue(slot, 24 + argLength);
  }

  /** Queue a finished reply; it is sent with the rest of this tick's replies in one link.send(). `work`: see SendQueue.push. */
  queue(slot: RequestSlot, length: number, work = length): void {
    this.sendQueue.push(slot, length, work);
  }

  /** Broadcast an unsolicited Query Config response for every export on this NIC (vblade does this at start). */
  announce(): void {
    for (const runtime of this.exports) {
      const slot = this.acquire(runtime);
      if (slot === null) return;
      const frame = slot.frame;
      frame.fill(0xff, 0, 6);
      frame[14] = (AOE_VERSION << 4) | FLAG_RESPONSE;
      frame[15] = 0;
      frame.writeUInt16BE(runtime.shelf, 16);
      frame[18] = runtime.slot;
      frame[19] = Command.QueryConfig;
      frame.writeUInt32BE(0, 20);
      this.counters.announces++;
      this.queue(slot, writeConfigReply(this, runtime, frame, 0));
    }
    if (!this.sendQueue.inBatch) this.sendQueue.kick();
  }

  /** Stop accepting requests, wait (bounded) for requests in flight and queued replies, then detach. */
  async stop(timeoutMs = 3000): Promise<void> {
    this.stopping = true;
    const deadline = Date.now() + timeoutMs;
    while (this.responses.available < this.responses.slots.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.sendQueue.stop();
    this.link.off('mtu', this.onMtu);
    this.link.off('state', this.onState);
  }

  stats(): NicStatsSnapshot {
    const state = this.link.state;
    return {
      ...this.counters,
      name: this.link.name,
      mtu: this.link.mtu,
      sectorCount: this.maxSectors,
      up: state.up,
      carrier: state.carrier,
      poolSize: this.responses.slots.length,
      poolFree: this.responses.available,
      link: this.link.stats(),
    };
  }
}
