// Per-NIC target engine: the receive check ladder and shelf.slot dispatch, reply frames (pool: reply-pool.ts, sending: send-queue.ts).
import { performance } from 'node:perf_hooks';
import type { Link, LinkState } from '../link/link.js';
import type { Logger } from '../log.js';
import {
  AoeError,
  BROADCAST_MAC,
  BROADCAST_SHELF,
  BROADCAST_SLOT,
  Command,
  ETHERNET_MIN_FRAME,
  FLAG_RESPONSE,
  sectorsForMtu,
} from '../wire/constants.js';
import { AOE_ERROR_FOR_CODE } from '../wire/errors.js';
import { echoFixedArgument } from '../wire/frame.js';
import * as frameHeader from '../wire/frame-header.js';
import * as ata from './ata.js';
import * as sharedState from './shared-state.js';
import { AuditKind } from './audit.js';
import { RequestMerger } from './coalesce.js';
import type { ExportRuntime } from './export.js';
import { handleMask } from './mask-list.js';
import { handleConfig, writeConfigReply } from './query-config.js';
import { type ReplyFrame, ReplyPool } from './reply-pool.js';
import { handleReserve } from './reservation.js';
import { SendQueue } from './send-queue.js';
import { NicCounters, type NicStatsSnapshot } from './stats.js';

const IDENTIFY_REPLY_LENGTH = 36 + 512;
/*
 * Module-level copies of what the per-frame code uses: V8 re-reads and re-checks an imported binding (and a
 * property of an imported object) at every use in optimized code, where a module const is folded (measured on the
 * initiator's data path, bench/initiator-hot-path.mjs).
 */
const { isAoeFrame, isResponse, readCommand, readShelf, readSlot, readSourceMac, requestHeaderProblem, writeHeader, writeReplyHeader } =
  frameHeader;
const { AtaRegisters, handleAta } = ata;
const ANY_SHELF = BROADCAST_SHELF;
const MASK_WORD = sharedState.MASK_COUNT_WORD;
const ANY_SLOT = BROADCAST_SLOT;
const ATA = Command.Ata;
const QUERY_CONFIG = Command.QueryConfig;
const MAC_MASK = Command.MacMask;
const RESERVE_RELEASE = Command.ReserveRelease;

export interface NicEngineOptions {
  logger: Logger;
  /** Reply frames in the pool (default max(64, 4 x sum of the exports' buffer counts)). */
  poolSize?: number;
  /** Re-announce (unsolicited Query Config broadcast) when the link comes back up. */
  announce?: boolean;
}

export class NicEngine {
  readonly counters = new NicCounters();
  /** Max sectors per ATA command on this NIC: sectorsForMtu(link.mtu), advertised in Query Config. */
  maxSectors: number;
  /** Merges contiguous reads/writes of one receive batch into one store slab transfer (buffered file exports). */
  readonly merger = new RequestMerger();
  /** The ATA registers of the request being served (decoded once per frame, reused). */
  readonly registers = new AtaRegisters();
  private frameSize: number;
  private lastKey = -1;
  private lastRuntime: ExportRuntime | undefined;
  private readonly byKey = new Map<number, ExportRuntime>();
  /** Every reply frame lives in one slab, so a batch of replies is one link.sendSlab() with no per-frame lookups. */
  private readonly replies: ReplyPool;
  private readonly sendQueue: SendQueue<ReplyFrame>;
  private stopping = false;
  /** When the receive batch being served arrived (one clock read per batch): the arrival time of its requests. */
  private batchTime = 0;
  private lastState: LinkState;
  private readonly logger: Logger;

  constructor(
    readonly link: Link,
    readonly exports: ExportRuntime[],
    private readonly options: NicEngineOptions,
  ) {
    this.logger = options.logger;
    this.maxSectors = sectorsForMtu(link.mtu);
    this.frameSize = this.frameSizeFor(link.mtu);
    for (const runtime of exports) this.byKey.set(runtime.key, runtime);
    const buffers = exports.reduce((sum, runtime) => sum + runtime.bufferCount, 0);
    const poolSize = options.poolSize ?? Math.max(64, 4 * buffers);
    this.sendQueue = new SendQueue<ReplyFrame>(link, this.counters, poolSize, (reply) => this.release(reply));
    this.replies = new ReplyPool(this, poolSize, link.mac, this.frameSize);
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
    this.replies.ensureFrameSize(this.frameSize);
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

  // ---- receive path: the check ladder, cheapest checks first (vblade's order: size, EtherType, R flag, shelf.slot, mask) ----
  private readonly handleBatch = (slab: Buffer, stride: number, lengths: Uint32Array, count: number): void => {
    const counters = this.counters;
    if (this.stopping) {
      counters.droppedStopping += count;
      return;
    }
    const sendQueue = this.sendQueue;
    sendQueue.inBatch = true;
    this.batchTime = performance.now();
    for (let i = 0; i < count; i++) {
      const offset = i * stride;
      const length = lengths[i];
      counters.framesIn++;
      counters.bytesIn += length;
      if (!isAoeFrame(slab, length, offset)) {
        counters.malformed++;
        continue;
      }
      if (isResponse(slab, offset)) {
        counters.responsesIgnored++;
        continue;
      }
      const shelf = readShelf(slab, offset);
      const slot = readSlot(slab, offset);
      if (shelf === ANY_SHELF || slot === ANY_SLOT) this.dispatchBroadcast(shelf, slot, slab, offset, length);
      else {
        const key = shelf * 256 + slot;
        let runtime = this.lastRuntime;
        if (key !== this.lastKey) {
          runtime = this.byKey.get(key);
          this.lastKey = key;
          this.lastRuntime = runtime;
        }
        if (runtime === undefined) counters.notForUs++;
        else this.dispatch(runtime, slab, offset, length);
      }
    }
    this.merger.flush();
    sendQueue.inBatch = false;
    sendQueue.flush();
  };

  private dispatchBroadcast(shelf: number, slot: number, slab: Buffer, offset: number, length: number): void {
    let matched = false;
    for (const runtime of this.exports) {
      if ((shelf === ANY_SHELF || shelf === runtime.shelf) && (slot === ANY_SLOT || slot === runtime.slot)) {
        matched = true;
        this.dispatch(runtime, slab, offset, length);
      }
    }
    if (!matched) this.counters.notForUs++;
  }

  private dispatch(runtime: ExportRuntime, slab: Buffer, offset: number, length: number): void {
    const exportCounters = runtime.counters;
    exportCounters.framesIn++;
    exportCounters.bytesIn += length;
    // The allow list (-m) and the Mac Mask List are one list, checked before any command as vblade does
    // (aoe.c: `if (nmasks && !maskok(p->src)) continue;` ahead of doaoe): an unlisted MAC gets no answer to
    // ATA, Query Config (even a read), Mac Mask or Reserve/Release, so it can neither read nor change anything.
    if (runtime.stateWords[MASK_WORD] !== 0) {
      const initiator = readSourceMac(slab, offset);
      if (!runtime.maskAllows(initiator)) {
        exportCounters.maskDenied++;
        runtime.audit.denied(AuditKind.MaskDenied, initiator); // rate-limited: a counter per frame while muted
        return;
      }
    }
    const problem = requestHeaderProblem(slab, offset);
    if (problem !== undefined) {
      this.replyError(runtime, slab, offset, length, AOE_ERROR_FOR_CODE[problem] ?? AoeError.BadArgument);
      return;
    }
    switch (readCommand(slab, offset)) {
      case ATA:
        handleAta(this, runtime, slab, offset, length);
        return;
      case QUERY_CONFIG:
        handleConfig(this, runtime, slab, offset, length);
        return;
      case MAC_MASK:
        handleMask(this, runtime, slab, offset, length);
        return;
      case RESERVE_RELEASE:
        handleReserve(this, runtime, slab, offset, length);
        return;
      default:
        this.replyError(runtime, slab, offset, length, AoeError.UnrecognizedCommand); // vendor commands: none served
    }
  }

  // ---- reply building ----
  /** A pooled frame for `runtime` with the reply header to the request at slab[offset] written, or null (pool exhausted: counted). */
  acquire(runtime: ExportRuntime, slab: Buffer, offset: number, aoeError = 0): ReplyFrame | null {
    const reply = this.take(runtime);
    if (reply !== null) writeReplyHeader(reply.frame, 0, slab, offset, runtime.shelf, runtime.slot, aoeError);
    return reply;
  }

  private take(runtime: ExportRuntime): ReplyFrame | null {
    const reply = this.replies.take();
    if (reply === undefined) {
      this.counters.poolExhausted++;
      return null;
    }
    reply.exportRuntime = runtime;
    reply.arrivedAt = this.batchTime;
    runtime.counters.inFlight++;
    this.counters.inFlight++;
    return reply;
  }

  release(reply: ReplyFrame): void {
    const runtime = reply.exportRuntime;
    if (runtime !== null) runtime.counters.inFlight--;
    this.counters.inFlight--;
    reply.exportRuntime = null;
    this.replies.give(reply);
  }

  /** Reply with an AoE error in the header (never in the ATA registers), echoing the request's argument. */
  replyError(runtime: ExportRuntime, slab: Buffer, offset: number, length: number, aoeError: number): void {
    const reply = this.acquire(runtime, slab, offset, aoeError);
    if (reply === null) return;
    runtime.counters.aoeErrors++;
    this.queue(reply, echoFixedArgument(reply.frame, 0, slab, offset, length));
  }

  /** Queue a finished reply; it is sent with the rest of this tick's replies in one link.sendSlab(). `work`: see SendQueue.push. */
  queue(reply: ReplyFrame, length: number, work = length): void {
    this.sendQueue.push(reply, length, work);
  }

  /** Broadcast an unsolicited Query Config response for every export on this NIC (vblade does this at start). */
  announce(): void {
    for (const runtime of this.exports) {
      const reply = this.take(runtime);
      if (reply === null) return;
      reply.arrivedAt = -1; // unsolicited: no request, no latency
      writeHeader(reply.frame, 0, BROADCAST_MAC, this.link.mac, FLAG_RESPONSE, runtime.shelf, runtime.slot, Command.QueryConfig, 0);
      this.counters.announces++;
      this.queue(reply, writeConfigReply(this, runtime, reply.frame, 0));
    }
    if (!this.sendQueue.inBatch) this.sendQueue.kick();
  }

  /** Stop accepting requests, wait (bounded) for requests in flight and queued replies, then detach. */
  async stop(timeoutMs = 3000): Promise<void> {
    this.stopping = true;
    const deadline = Date.now() + timeoutMs;
    while (this.replies.available < this.replies.frames.length && Date.now() < deadline) {
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
      poolSize: this.replies.frames.length,
      poolFree: this.replies.available,
      link: this.link.stats(),
    };
  }
}
