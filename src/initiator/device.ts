// A multipath AoE device: splits I/O into frames over paths, reassembles in place, retransmits, fails over.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { AtaStatus, ATA_DATA_OFFSET } from '../wire/constants.js';
import * as ataArg from '../wire/ata-arg.js';
import * as frameHeader from '../wire/frame-header.js';
import { formatMac } from '../wire/mac.js';
import { flushTargets, type FlushMode } from './commands.js';
import { pathStats, type DeviceInit, type DeviceStats, type DeviceTimers } from './device-stats.js';
import { aoeReplyError, ataReplyError, InitiatorError } from './errors.js';
import type { Path } from './path.js';
import { PathWatch } from './path-watch.js';
import { WriteQuarantine } from './quarantine.js';
import type { Policy } from './policy.js';
import type { LinkPort, DataReceiver } from './port.js';
import { ScanTimer } from './scan-timer.js';
import { fillWindows } from './schedule.js';
import { LossRecovery } from './loss.js';
import { createOperation, requestError, toBuffer, type Operation } from './operation.js';
import type { FrameTable } from './frame-table.js';

// Module-level copies of the src/wire functions called per frame: V8 (Node 20) re-checks an imported binding at every
// call from optimized code (cell load, hole check, target check); a module const is folded away (bench/initiator-hot-path.mjs).
const { ataCommandStatus, ataErrorFeature } = ataArg;
const { hasAoeError, readAoeError, readSourceMac } = frameHeader;

export class Device extends EventEmitter implements DataReceiver {
  readonly name: string;
  readonly shelf: number;
  readonly slot: number;
  readonly size: number;
  readonly lba48: boolean;
  readonly identify: DeviceInit['identify'];
  readonly paths: Path[];
  readonly policy: Policy;
  private readonly frames: FrameTable;
  private readonly timers: DeviceTimers;
  private readonly pending: Operation[] = [];
  private readonly active: Operation[] = [];
  private readonly recovery: LossRecovery;
  private readonly quarantine: WriteQuarantine;
  private readonly ports: LinkPort[];
  private readonly watch: PathWatch;
  private readonly onClose: () => Promise<void>;
  private readonly timer: ScanTimer;
  private flushScheduled = false;
  /** Per target MAC: which FLUSH command it takes (see flushCache). */
  private readonly flushModes = new Map<number, FlushMode>();
  private lastProgressAt = performance.now();
  private lastRateTick = performance.now();
  private closed = false;
  private counters = { reads: 0, writes: 0, bytesRead: 0, bytesWritten: 0, ignoredReplies: 0 };

  constructor(init: DeviceInit) {
    super();
    this.shelf = init.shelf;
    this.slot = init.slot;
    this.name = `e${init.shelf}.${init.slot}`;
    this.size = init.size;
    this.lba48 = init.lba48;
    this.identify = init.identify;
    this.paths = init.paths;
    this.policy = init.policy;
    this.frames = init.frames;
    this.timers = init.timers;
    this.timer = new ScanTimer(init.timers.scanIntervalMs, (now) => this.scan(now));
    this.onClose = init.onClose;
    this.quarantine = new WriteQuarantine(this.paths);
    this.recovery = new LossRecovery(this.frames, this.paths, (path) => this.markDown(path, 'timeouts'));
    this.ports = [...new Set(this.paths.map((path) => path.port))];
    for (const port of this.ports) port.addReceiver(this);
    this.watch = new PathWatch(
      this.paths,
      { lba48: this.lba48, frameCapacitySectors: this.frames.capacitySectors },
      {
        down: (path, reason) => this.markDown(path, reason),
        up: (path) => {
          this.lastProgressAt = performance.now();
          this.markUp(path);
        },
      },
    );
  }

  /** Read `length` bytes at `offset` (both multiples of 512) into a new buffer. */
  async read(offset: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    await this.readInto(buffer, offset);
    return buffer;
  }

  /** Read `buffer.length` bytes at `offset` straight into `buffer` (frames are copied from the receive slab into place). */
  readInto(buffer: Uint8Array, offset: number): Promise<void> {
    return this.submit('read', offset, toBuffer(buffer));
  }

  /** Write `data` at `offset`; `data` must not change until the promise settles. */
  write(offset: number, data: Uint8Array): Promise<void> {
    return this.submit('write', offset, toBuffer(data));
  }

  /** Wait for writes issued so far, then FLUSH CACHE EXT on every target MAC (FLUSH CACHE only where EXT is refused); all must succeed. */
  async flush(): Promise<void> {
    this.checkOpen();
    await Promise.allSettled(this.active.filter((op) => op.kind === 'write').map((op) => op.promise));
    await flushTargets(this.paths, this.shelf, this.slot, this.flushModes);
  }

  stats(): DeviceStats {
    const { fastRetransmits, timeoutRetransmits, spuriousRetransmits } = this.recovery;
    return {
      name: this.name,
      size: this.size,
      policy: this.policy.name,
      ...this.counters,
      retransmits: fastRetransmits + timeoutRetransmits,
      fastRetransmits,
      timeoutRetransmits,
      spuriousRetransmits,
      paths: this.paths.map(pathStats),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer.stop();
    this.failAll(new InitiatorError('ERR_AOE_CLOSED', `${this.name}: device closed`));
    for (const port of this.ports) port.removeReceiver(this);
    this.watch.close();
    await this.onClose();
  }

  private checkOpen(): void {
    if (this.closed) throw new InitiatorError('ERR_AOE_CLOSED', `${this.name}: device closed`);
  }

  private submit(kind: 'read' | 'write', offset: number, buffer: Buffer): Promise<void> {
    this.checkOpen();
    const invalid = requestError(this.name, this.size, kind, offset, buffer.length);
    if (invalid) return Promise.reject(invalid);
    if (buffer.length === 0) return Promise.resolve();
    const now = performance.now();
    if (this.active.length === 0) this.lastProgressAt = now;
    const op = createOperation(kind, offset, buffer, this.active);
    this.quarantine.onSubmitted(op, now);
    if (kind === 'read') this.counters.reads += 1;
    else this.counters.writes += 1;
    this.active.push(op);
    this.pending.push(op);
    this.startTimer();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => {
        this.flushScheduled = false;
        this.pump();
      });
    }
    return op.promise;
  }

  /** Fill windows (one clock read for the whole batch: the frames leave in one native call) and send. */
  private pump(): void {
    if (this.closed) return;
    fillWindows(this.frames, this.policy, this.paths, this.recovery.retries, this.pending, this.lba48, performance.now());
    for (let index = 0; index < this.ports.length; index += 1) this.ports[index].flush();
  }

  /**
   * Data-plane reply (from the port, with the shelf and slot it decoded; no allocation): false when it is another
   * device's. A reply to a live frame counts when it comes from the frame's path (port, target MAC) and carries an AoE
   * error, or the whole ATA argument and, for a READ that succeeded, all its data; any other is ignored (the RTO resends
   * the frame). Reserved bits are not judged (ataArgProblem): the target echoes ours, and the check would not fit V8's
   * inlining budget here (bench/initiator-hot-path.mjs).
   */
  handleData(slab: Buffer, base: number, length: number, tag: number, shelf: number, slot: number, port: LinkPort, now: number): boolean {
    if (shelf !== this.shelf || slot !== this.slot) return false;
    const frames = this.frames;
    const entry = frames.lookup(tag);
    if (entry < 0) {
      this.recovery.onLateReply(tag, now);
      this.counters.ignoredReplies += 1;
      return true;
    }
    const path = this.paths[frames.path[entry]];
    const op = frames.op[entry] as Operation;
    const bytes = frames.bytes[entry];
    const isError = hasAoeError(slab, base);
    const status = isError || length < ATA_DATA_OFFSET ? 0 : ataCommandStatus(slab, base);
    const ataFailed = (status & (AtaStatus.Error | AtaStatus.DeviceFault)) !== 0;
    if (
      path.port !== port ||
      readSourceMac(slab, base) !== path.targetMac ||
      (!isError && length < ATA_DATA_OFFSET) ||
      (!isError && !ataFailed && op.kind === 'read' && length < ATA_DATA_OFFSET + bytes)
    ) {
      this.counters.ignoredReplies += 1;
      return true;
    }
    const opOffset = frames.opOffset[entry];
    path.onFrameAcked(now - frames.sentAt[entry], now, bytes, frames.sequence[entry]);
    frames.release(entry, this.paths);
    this.recovery.onReply(path, now);
    this.lastProgressAt = now;
    if (path.state === 'down') this.markUp(path);
    if (isError) this.failOp(op, aoeReplyError(readAoeError(slab, base), `${this.name} ${op.kind} at ${op.offset + opOffset}`));
    else if (ataFailed)
      this.failOp(op, ataReplyError(status, ataErrorFeature(slab, base), `${this.name} ${op.kind} at ${op.offset + opOffset}`));
    else {
      if (op.kind === 'read') op.buffer.set(port.replyPayload(slab, base, bytes), opOffset);
      op.remaining -= bytes;
      if (op.remaining === 0 && !op.done) this.completeOp(op);
    }
    return true;
  }

  afterBatch(): void {
    this.pump();
  }

  private completeOp(op: Operation): void {
    op.done = true;
    if (op.kind === 'read') this.counters.bytesRead += op.length;
    else this.counters.bytesWritten += op.length;
    this.finishOp(op);
    op.resolve();
  }

  private failOp(op: Operation, error: Error): void {
    if (op.done) return;
    op.done = true;
    for (let entry = 0; entry < this.frames.count; entry += 1) if (this.frames.op[entry] === op) this.frames.release(entry, this.paths);
    this.finishOp(op);
    op.reject(error);
  }

  private finishOp(op: Operation): void {
    const index = this.active.indexOf(op);
    if (index >= 0) this.active.splice(index, 1);
    this.quarantine.onFinished(op, performance.now());
  }

  private failAll(error: Error): void {
    for (const op of [...this.active]) this.failOp(op, error);
    this.pending.length = 0;
    this.recovery.retries.clear();
    this.quarantine.clear();
  }

  private startTimer(): void {
    if (!this.closed) this.timer.start(this.active.length > 0);
  }

  /** The one timer's work (ScanTimer puts off a late run once): retransmit scan, down-path probing, rate estimates, deadline. */
  private scan(now: number): void {
    this.recovery.scan(now);
    if (this.quarantine.holding) this.quarantine.release(now);
    this.watch.probeDownPaths(now, this.timers.probeIntervalMs);
    if (now - this.lastRateTick >= 100) {
      for (const path of this.paths) path.tickRate(now - this.lastRateTick);
      this.lastRateTick = now;
    }
    if (this.active.length > 0 && now - this.lastProgressAt > this.timers.deadlineMs) {
      const up = this.paths.filter((path) => path.state === 'up').length;
      this.failAll(
        new InitiatorError(
          'ERR_AOE_DEADLINE',
          `${this.name}: no reply on any path for ${this.timers.deadlineMs} ms (${up}/${this.paths.length} paths up)`,
        ),
      );
    }
    if (this.recovery.retries.length > 0 || this.pending.length > 0) this.pump();
    if (this.active.length === 0) {
      if (this.paths.every((path) => path.state === 'up')) this.timer.stop();
      else this.timer.idle();
    }
  }

  private markDown(path: Path, reason: string): void {
    if (!path.markDown(performance.now())) return;
    this.recovery.requeueAll(path);
    this.startTimer();
    this.emit('path-down', { path: path.index, interface: path.link.name, targetMac: formatMac(path.targetMac), reason });
    this.pump();
  }

  private markUp(path: Path): void {
    if (path.state === 'up' || this.closed) return;
    path.markUp(performance.now());
    this.emit('path-up', { path: path.index, interface: path.link.name, targetMac: formatMac(path.targetMac) });
    this.pump();
  }
}
