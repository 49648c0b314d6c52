// PacketLink: a Link over one AF_PACKET socket (native addon), plus NIC facts and MTU control on Linux.
import { EventEmitter } from 'node:events';
import { FRAME_OVERHEAD, type FrameBatchHandler, type Link, type LinkState, type LinkStats, slotSizeFor } from './link.js';
import {
  FilterMode,
  NATIVE_FLAG_CARRIER,
  NATIVE_FLAG_UP,
  loadAddon,
  macToNumber,
  type NativeError,
  type NativeHandle,
  type NativeInterface,
  type PacketAddon,
} from '../native/addon.js';

export type PacketFilter = 'all' | 'requests' | 'responses';

export interface PacketLinkOptions {
  /** Network namespace name under /run/netns; the socket is created inside it. */
  netns?: string;
  /** Which AoE frames the kernel BPF filter passes: all (default), requests only, responses only. */
  filter?: PacketFilter;
  /** SO_RCVBUF(FORCE) size. Default 4 MiB, so bursts of jumbo frames are not dropped. 0 = kernel default. */
  receiveBufferBytes?: number;
  /** SO_SNDBUF(FORCE) size. Default: kernel default. */
  sendBufferBytes?: number;
  /** Receive slots per batch (frames per recvmmsg / per handler call). Default 64. */
  batchSize?: number;
  /** Bytes per receive slot. Default: room for a 9216-byte MTU (or the NIC's MTU if larger). */
  slotSize?: number;
  /**
   * Size of the TPACKET_V2 receive ring (mmap'd, frames copied from it into the slab). Default 8 MiB;
   * 0 receives with recvmmsg instead. The environment variable AOEKIT_RX_RING=0 sets the default to 0.
   */
  receiveRingBytes?: number;
  /**
   * Bytes past an 8-byte boundary at which received frames start (default 0). ThreadLink uses 4: the AoE data, 36 bytes
   * into a frame, is then 8-aligned, and V8 copies to and from shared memory word by word only between aligned places.
   */
  slabShift?: number;
}

export interface InterfaceInfo {
  name: string;
  ifindex: number;
  /** 48-bit MAC as a number. */
  mac: number;
  mtu: number;
  up: boolean;
  carrier: boolean;
}

/** LinkStats plus counters specific to packet sockets. */
export interface PacketLinkStats extends LinkStats {
  /** Frames longer than a receive slot (delivered with length 0). */
  truncated: number;
  /** Asynchronous receive errors (ENETDOWN when the NIC goes down, ...). */
  receiveErrors: number;
}

const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
const DEFAULT_BATCH_SIZE = 64;
const DEFAULT_RECEIVE_RING_BYTES = 8 * 1024 * 1024;

function defaultRingBytes(): number {
  return process.env.AOEKIT_RX_RING === '0' ? 0 : DEFAULT_RECEIVE_RING_BYTES;
}
const STATE_POLL_MS = 250;

function toInfo(nic: NativeInterface): InterfaceInfo {
  return {
    name: nic.name,
    ifindex: nic.ifindex,
    mac: macToNumber(nic.mac),
    mtu: nic.mtu,
    up: (nic.flags & NATIVE_FLAG_UP) !== 0,
    carrier: (nic.flags & NATIVE_FLAG_CARRIER) !== 0,
  };
}

/** Facts about one NIC, optionally inside a network namespace. Throws ENODEV etc. (code + syscall). */
export function interfaceInfo(name: string, netns?: string): InterfaceInfo {
  return toInfo(loadAddon().packetInterfaceInfo(name, netns ?? null));
}

/** Every NIC of the (optionally given) network namespace. */
export function listInterfaces(netns?: string): InterfaceInfo[] {
  return loadAddon()
    .packetListInterfaces(netns ?? null)
    .map(toInfo);
}

/** Sets a NIC's MTU (SIOCSIFMTU). EPERM means CAP_NET_ADMIN is missing. */
export function setMtu(name: string, mtu: number, netns?: string): void {
  loadAddon().packetSetMtu(name, mtu, netns ?? null);
}

export class PacketLink extends EventEmitter implements Link {
  readonly name: string;
  readonly mac: number;
  readonly netns: string | undefined;
  readonly ifindex: number;
  mtu: number;
  state: LinkState;
  private readonly addon: PacketAddon;
  private readonly handle: NativeHandle;
  private readonly counters: Float64Array;
  private readonly batchSize: number;
  private readonly fixedSlotSize: number | undefined;
  private readonly slabShift: number;
  private slotSize = 0;
  private slab: Buffer = Buffer.alloc(0);
  private lengths: Uint32Array = new Uint32Array(0);
  private handler: FrameBatchHandler | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshFailed = false;
  private closing: Promise<void> | undefined;

  /** Use openPacketLink(). */
  constructor(addon: PacketAddon, handle: NativeHandle, counters: Float64Array, info: InterfaceInfo, options: PacketLinkOptions) {
    super();
    this.addon = addon;
    this.handle = handle;
    this.counters = counters;
    this.name = info.name;
    this.mac = info.mac;
    this.ifindex = info.ifindex;
    this.netns = options.netns;
    this.mtu = info.mtu;
    this.state = { up: info.up, carrier: info.carrier };
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.fixedSlotSize = options.slotSize;
    this.slabShift = options.slabShift ?? 0;
    this.timer = setInterval(() => this.refresh(), STATE_POLL_MS);
    this.timer.unref();
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Sends frames[i].subarray(0, lengths[i]) for i < count in one sendmmsg batch. Returns how many were
   * consumed in order: sent, or dropped after a per-frame error (ENETDOWN, EMSGSIZE: stats.sendErrors).
   * The rest were refused by the kernel (EAGAIN/ENOBUFS: stats.sendBlocked) and may be retried.
   * Returns 0 once the link is closed.
   */
  send(frames: readonly Uint8Array[], lengths: ArrayLike<number>, count: number): number {
    if (this.closing !== undefined) return 0;
    return this.addon.packetSend(this.handle, frames, lengths, count);
  }

  /** Like send(), from one slab: frame i is slab[offsets[i] .. offsets[i] + lengths[i]). One crossing, no per-frame lookups. */
  sendSlab(slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): number {
    if (this.closing !== undefined) return 0;
    return this.addon.packetSendSlab(this.handle, slab, offsets, lengths, count);
  }

  /** Installs the receive handler and starts receiving. Truncated frames arrive with length 0. */
  onFrames(handler: FrameBatchHandler): void {
    if (this.closing !== undefined) throw Object.assign(new Error('link is closed'), { code: 'ERR_LINK_CLOSED' });
    const starting = this.handler === undefined;
    this.handler = handler;
    if (starting) this.allocateReceiveBuffers(this.fixedSlotSize ?? slotSizeFor(this.mtu));
  }

  /** Counters read from shared memory, plus kernel drops fetched with one cheap native call. */
  stats(): PacketLinkStats {
    this.refresh();
    const counters = this.counters;
    return {
      framesIn: counters[this.addon.counters.framesIn],
      bytesIn: counters[this.addon.counters.bytesIn],
      framesOut: counters[this.addon.counters.framesOut],
      bytesOut: counters[this.addon.counters.bytesOut],
      batchesIn: counters[this.addon.counters.batchesIn],
      sendBlocked: counters[this.addon.counters.sendBlocked],
      sendErrors: counters[this.addon.counters.sendErrors],
      kernelDrops: counters[this.addon.counters.kernelDrops],
      truncated: counters[this.addon.counters.truncated],
      receiveErrors: counters[this.addon.counters.receiveErrors],
    };
  }

  /** Lets the process exit while this link is receiving (like socket.unref()). */
  unref(): this {
    if (this.closing === undefined) this.addon.packetRef(this.handle, false);
    return this;
  }

  ref(): this {
    if (this.closing === undefined) this.addon.packetRef(this.handle, true);
    return this;
  }

  /** Stops receiving and closes the socket; resolves once the native handle is released. Idempotent. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.closing = new Promise<void>((resolve) => {
        if (!this.addon.packetClose(this.handle, resolve)) resolve();
      });
    }
    return this.closing;
  }

  /** Re-reads flags, MTU and kernel drops (every 250 ms and from stats()); emits 'state' / 'mtu'. */
  refresh(): void {
    if (this.closing !== undefined) return;
    let up = false;
    let carrier = false;
    let mtu = this.mtu;
    try {
      this.addon.packetRefresh(this.handle);
      const flags = this.counters[this.addon.counters.flags];
      up = (flags & NATIVE_FLAG_UP) !== 0;
      carrier = (flags & NATIVE_FLAG_CARRIER) !== 0;
      mtu = this.counters[this.addon.counters.mtu];
      this.refreshFailed = false;
    } catch (error) {
      // The NIC vanished (ENODEV) or moved: report it down, and the error once per failure streak.
      if (!this.refreshFailed && this.listenerCount('error') > 0) this.emit('error', error);
      this.refreshFailed = true;
    }
    if (mtu !== this.mtu) {
      this.mtu = mtu;
      if (this.handler !== undefined && this.fixedSlotSize === undefined && mtu + FRAME_OVERHEAD > this.slotSize) {
        this.allocateReceiveBuffers(slotSizeFor(mtu));
      }
      this.emit('mtu', mtu);
    }
    if (up !== this.state.up || carrier !== this.state.carrier) {
      this.state = { up, carrier };
      this.emit('state', this.state);
    }
  }

  private allocateReceiveBuffers(slotSize: number): void {
    this.slotSize = slotSize;
    this.slab = Buffer.alloc(slotSize * this.batchSize + this.slabShift).subarray(this.slabShift);
    this.lengths = new Uint32Array(this.batchSize);
    this.addon.packetStart(this.handle, this.slab, slotSize, this.batchSize, this.lengths, this.onBatch, this.onError);
  }

  private readonly onBatch = (count: number): void => {
    (this.handler as FrameBatchHandler)(this.slab, this.slotSize, this.lengths, count);
  };

  private readonly onError = (error: NativeError): void => {
    // Asynchronous receive errors (ENETDOWN while the NIC is down) are counted natively; never fatal.
    if (this.listenerCount('error') > 0) this.emit('error', error);
  };
}

/** Opens a PacketLink on `ifname` (optionally inside network namespace `options.netns`). */
export async function openPacketLink(ifname: string, options: PacketLinkOptions = {}): Promise<PacketLink> {
  const addon = loadAddon();
  const counters = new Float64Array(addon.counterCount);
  const filter = options.filter ?? 'all';
  if (!(filter in FilterMode)) {
    throw Object.assign(new TypeError(`unknown filter ${String(filter)}`), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  const handle = addon.packetOpen(
    ifname,
    options.netns ?? null,
    FilterMode[filter],
    options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES,
    options.sendBufferBytes ?? 0,
    counters,
    options.receiveRingBytes ?? defaultRingBytes(),
    options.slotSize ?? slotSizeFor(1500), // the MTU is read next; a larger slot size rebuilds the ring when receiving starts
  );
  let info: InterfaceInfo;
  try {
    info = interfaceInfo(ifname, options.netns);
  } catch (error) {
    addon.packetClose(handle, () => {});
    throw error;
  }
  return new PacketLink(addon, handle, counters, info, options);
}
