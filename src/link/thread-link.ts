// A Link whose socket lives on its own thread: frames cross in shared-memory rings, so the kernel's work leaves the caller's thread.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FRAME_OVERHEAD, type FrameBatchHandler, type Link, type LinkState, type LinkStats, slotSizeFor } from './link.js';
import { interfaceInfo, type PacketFilter } from './packet-link.js';
import {
  CONTROL_WORDS,
  COUNTER_COUNT,
  Counter,
  FRAME_SHIFT,
  type LinkThreadCommand,
  type LinkThreadMessage,
  type LinkThreadSetup,
  RING_MASK,
  RING_SLOTS,
  ringBytes,
  sharedClock,
  waitAsync,
  Word,
} from './thread-link-protocol.js';

/** The link thread's script: beside this module (dist/, the bundle), or, run from the TypeScript sources (tests), the built one. */
function threadScript(): URL {
  const beside = new URL('./link-thread.js', import.meta.url);
  return existsSync(fileURLToPath(beside)) ? beside : new URL('../../dist/link/link-thread.js', import.meta.url);
}

export interface ThreadLinkOptions {
  netns?: string;
  filter?: PacketFilter;
  /** Largest frame either ring carries (bytes, Ethernet header included). Default: room for MTU 9216 or the NIC's MTU. */
  slotSize?: number;
}

/**
 * The Link contract, served by a PacketLink on a worker thread (src/link/link-thread.ts). send() copies each frame into
 * the TX ring and returns at once; the link's thread hands them to the kernel in batches. A frame the ring cannot take
 * is refused, as the kernel refuses with ENOBUFS. Received batches are delivered from the RX ring on this thread, in
 * order, one handler call per contiguous run of slots. Frames queued longer than MAX_TX_AGE_MS are dropped, not sent.
 */
export class ThreadLink extends EventEmitter implements Link {
  mac = 0;
  mtu = 0;
  state: LinkState = { up: false, carrier: false };
  private readonly control: Int32Array;
  private readonly counters: Float64Array;
  private readonly tx: Buffer;
  private readonly txLengths: Uint32Array;
  private readonly txStamps: Float64Array;
  /** RX ring views from each slot to the ring's end, made once: a batch is handed over without a new view. */
  private readonly rxFrom: Buffer[] = [];
  private readonly rxLengthsFrom: Uint32Array[] = [];
  private txTail = 0;
  private rxHead = 0;
  private handler: FrameBatchHandler | undefined;
  private closing: Promise<void> | undefined;
  private framesQueued = 0;
  private ringRefused = 0;

  private constructor(
    readonly name: string,
    private readonly worker: Worker,
    private readonly setup: LinkThreadSetup,
  ) {
    super();
    this.control = new Int32Array(setup.control);
    this.counters = new Float64Array(setup.counters);
    this.tx = Buffer.from(setup.tx);
    this.txLengths = new Uint32Array(setup.txLengths);
    this.txStamps = new Float64Array(setup.txStamps);
    const rx = Buffer.from(setup.rx);
    const rxLengths = new Uint32Array(setup.rxLengths);
    for (let slot = 0; slot < RING_SLOTS; slot++) {
      this.rxFrom.push(rx.subarray(slot * setup.slotSize + FRAME_SHIFT));
      this.rxLengthsFrom.push(rxLengths.subarray(slot));
    }
  }

  /** Start the link's thread and resolve once its socket is open (rejects with the open's errno code: ENODEV, EPERM, ...). */
  static open(name: string, options: ThreadLinkOptions = {}): Promise<ThreadLink> {
    let slotSize: number;
    try {
      // Also the first check that the NIC exists: ENODEV here, before a thread is started.
      // Slots sized as PacketLink sizes its own (room for a 9216-byte MTU, or the NIC's if larger); growing past them needs a reopen.
      slotSize = options.slotSize ?? slotSizeFor(interfaceInfo(name, options.netns).mtu);
    } catch (error) {
      return Promise.reject(error);
    }
    const shared = (bytes: number) => new SharedArrayBuffer(bytes);
    const setup: LinkThreadSetup = {
      name,
      netns: options.netns,
      filter: options.filter ?? 'all',
      slotSize,
      control: shared(CONTROL_WORDS * 4),
      counters: shared(COUNTER_COUNT * 8),
      tx: shared(ringBytes(slotSize)),
      txLengths: shared(RING_SLOTS * 4),
      txStamps: shared(RING_SLOTS * 8),
      rx: shared(ringBytes(slotSize)),
      rxLengths: shared(RING_SLOTS * 4),
    };
    const worker = new Worker(threadScript(), { workerData: setup });
    const link = new ThreadLink(name, worker, setup);
    return new Promise<ThreadLink>((resolve, reject) => {
      const onExit = (code: number) => reject(Object.assign(new Error(`link thread for ${name} exited (${code})`), { code: 'EIO' }));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.on('message', (message: LinkThreadMessage) => {
        if (message.type === 'ready') {
          worker.off('error', reject);
          worker.off('exit', onExit);
          worker.on('error', (error) => link.lost(error));
          worker.on('exit', () => link.lost(new Error(`link thread for ${name} exited`)));
          link.mac = message.mac;
          link.mtu = link.fitting(message.mtu);
          link.state = message.state;
          resolve(link);
        } else if (message.type === 'open-failed') {
          reject(Object.assign(new Error(message.message), { code: message.code }));
        } else link.onMessage(message);
      });
    });
  }

  send(frames: readonly Uint8Array[], lengths: ArrayLike<number>, count: number): number {
    const head = Atomics.load(this.control, Word.TxHead);
    let accepted = 0;
    for (; accepted < count; accepted++) {
      const frame = frames[accepted];
      if (!this.enqueue(head, frame, 0, lengths[accepted])) break;
    }
    return this.publish(accepted, count);
  }

  sendSlab(slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): number {
    const head = Atomics.load(this.control, Word.TxHead);
    let accepted = 0;
    for (; accepted < count; accepted++) if (!this.enqueue(head, slab, offsets[accepted], lengths[accepted])) break;
    return this.publish(accepted, count);
  }

  onFrames(handler: FrameBatchHandler): void {
    const first = this.handler === undefined;
    this.handler = handler;
    if (first) this.drain();
  }

  stats(): LinkStats {
    const counters = this.counters;
    return {
      framesIn: counters[Counter.framesIn],
      bytesIn: counters[Counter.bytesIn],
      framesOut: counters[Counter.framesOut],
      bytesOut: counters[Counter.bytesOut],
      batchesIn: counters[Counter.batchesIn],
      sendBlocked: counters[Counter.sendBlocked] + counters[Counter.staleDrops] + this.ringRefused,
      sendErrors: counters[Counter.sendErrors],
      kernelDrops: counters[Counter.kernelDrops] + counters[Counter.ringDrops],
    };
  }

  /** Frames handed to the TX ring, and what the link's thread dropped (RX ring full, TX frames too old). */
  threadStats(): { framesQueued: number; ringRefused: number; ringDrops: number; staleDrops: number } {
    return {
      framesQueued: this.framesQueued,
      ringRefused: this.ringRefused,
      ringDrops: this.counters[Counter.ringDrops],
      staleDrops: this.counters[Counter.staleDrops],
    };
  }

  /** Stop both threads' work and close the socket; resolves once the link's thread has gone. Idempotent. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      Atomics.store(this.control, Word.Stop, 1);
      Atomics.notify(this.control, Word.TxTail);
      Atomics.notify(this.control, Word.RxTail);
      this.closing = new Promise<void>((resolve) => {
        this.worker.once('exit', () => resolve());
        this.worker.postMessage({ type: 'close' } satisfies LinkThreadCommand);
        // A thread that does not finish its close in time is stopped.
        setTimeout(() => void this.worker.terminate(), 2000).unref();
      });
    }
    return this.closing;
  }

  /** Copy one frame into the next TX slot; false when the ring is full or the frame too large (refused, like ENOBUFS). */
  private enqueue(head: number, source: Uint8Array, offset: number, length: number): boolean {
    const tail = this.txTail;
    if (((tail - head) | 0) >= RING_SLOTS || length > this.setup.slotSize || this.closing !== undefined) return false;
    const slot = tail & RING_MASK;
    const target = slot * this.setup.slotSize + FRAME_SHIFT;
    if (source instanceof Buffer) source.copy(this.tx, target, offset, offset + length);
    else this.tx.set(source.subarray(offset, offset + length), target);
    this.txLengths[slot] = length;
    this.txStamps[slot] = sharedClock();
    this.txTail = (tail + 1) | 0;
    return true;
  }

  private publish(accepted: number, count: number): number {
    this.ringRefused += count - accepted;
    if (accepted === 0) return 0;
    this.framesQueued += accepted;
    Atomics.store(this.control, Word.TxTail, this.txTail);
    Atomics.notify(this.control, Word.TxTail);
    return accepted;
  }

  /** Deliver what the RX ring holds (one handler call per contiguous run), then wait for more. */
  private readonly drain = (): void => {
    if (this.closing !== undefined) return;
    const tail = Atomics.load(this.control, Word.RxTail);
    let head = this.rxHead;
    while (head !== tail) {
      const start = head & RING_MASK;
      const count = Math.min((tail - head) | 0, RING_SLOTS - start);
      (this.handler as FrameBatchHandler)(this.rxFrom[start], this.setup.slotSize, this.rxLengthsFrom[start], count);
      head = (head + count) | 0;
      this.rxHead = head;
      Atomics.store(this.control, Word.RxHead, head);
    }
    const wait = waitAsync(this.control, Word.RxTail, tail);
    if (wait.async) void wait.value.then(this.drain);
    else setImmediate(this.drain);
  };

  /**
   * The MTU callers may use: the NIC's, capped at what a ring slot holds. A NIC whose MTU grew past the slots opened for it
   * keeps working at the old size instead of refusing every full-sized frame.
   */
  private fitting(mtu: number): number {
    return Math.min(mtu, this.setup.slotSize - FRAME_OVERHEAD);
  }

  /** The link's thread failed or ended while the link was open: the link is down for good, and says so. */
  private lost(error: Error): void {
    if (this.closing !== undefined) return;
    this.closing = Promise.resolve();
    this.state = { up: false, carrier: false };
    this.emit('state', this.state);
    if (this.listenerCount('error') > 0) this.emit('error', Object.assign(error, { code: (error as { code?: string }).code ?? 'EIO' }));
  }

  private onMessage(message: LinkThreadMessage): void {
    if (message.type === 'state') {
      this.state = message.state;
      this.emit('state', message.state);
    } else if (message.type === 'mtu') {
      const mtu = this.fitting(message.mtu);
      if (mtu === this.mtu) return;
      this.mtu = mtu;
      this.emit('mtu', mtu);
    } else if (message.type === 'error' && this.listenerCount('error') > 0) {
      this.emit('error', Object.assign(new Error(message.message), { code: message.code }));
    }
  }
}

/** Opens a link on `ifname` served from its own thread (see ThreadLink). */
export function openThreadLink(ifname: string, options?: ThreadLinkOptions): Promise<ThreadLink> {
  return ThreadLink.open(ifname, options);
}
