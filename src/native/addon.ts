// The only loader of the native addon (packet sockets for src/link, slab file I/O for src/store): finds the build, types its flat API.
import { createRequire } from 'node:module';
import { packageRoot } from '../package-info.js';

/** Opaque socket handle (a Node-API external). */
export type NativeHandle = { readonly __brand: 'aoekit.PacketSocket' };

export interface NativeInterface {
  name: string;
  ifindex: number;
  mac: Buffer;
  mtu: number;
  /** NATIVE_FLAG_UP | NATIVE_FLAG_CARRIER */
  flags: number;
}

/** Errors thrown by the addon: code = errno name, syscall = failing call, errno = -errno (Node style). */
export interface NativeError extends Error {
  code: string;
  syscall: string;
  errno: number;
}

export interface PacketAddon {
  counterCount: number;
  /** Index of each counter in the shared Float64Array, from enum packet_counter (native/packet.h). */
  counters: Record<CounterName, number>;
  packetOpen(
    ifname: string,
    netns: string | null,
    filterMode: number,
    receiveBufferBytes: number,
    sendBufferBytes: number,
    counters: Float64Array,
    /** > 0: receive through a TPACKET_V2 ring of about this many bytes (set up before bind); 0: recvmmsg. */
    ringBytes: number,
    /** Largest frame a ring slot holds (the receive slot size). */
    ringSlotSize: number,
  ): NativeHandle;
  packetStart(
    handle: NativeHandle,
    slab: Uint8Array,
    slotSize: number,
    slotCount: number,
    lengths: Uint32Array,
    onBatch: (count: number) => void,
    onError: (error: NativeError) => void,
  ): void;
  packetSend(handle: NativeHandle, frames: readonly Uint8Array[], lengths: ArrayLike<number>, count: number): number;
  /** Frame i = slab[offsets[i] .. offsets[i] + lengths[i]); no per-frame N-API lookups. */
  packetSendSlab(handle: NativeHandle, slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): number;
  packetRefresh(handle: NativeHandle): void;
  packetRef(handle: NativeHandle, ref: boolean): void;
  packetClose(handle: NativeHandle, onClosed: () => void): boolean;
  packetInterfaceInfo(ifname: string, netns: string | null): NativeInterface;
  packetListInterfaces(netns: string | null): NativeInterface[];
  packetSetMtu(ifname: string, mtu: number, netns: string | null): void;
  /**
   * Reads the file bytes at `position` into slab[offsets[i] .. offsets[i] + lengths[i]) for i < count, in order
   * (preadv, looped over EINTR and short reads). Returns the bytes read: less than the sum only at end of file.
   * Throws ERR_OUT_OF_RANGE for a span outside the slab, or an errno error (code, errno, syscall 'preadv').
   */
  fileReadSlab(fd: number, position: number, slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): number;
  /** The same spans written to the file at `position` (pwritev, looped); returns the bytes written. */
  fileWriteSlab(fd: number, position: number, slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): number;
}

/** Vectored file I/O over one slab, one native call per run (see PacketAddon.fileReadSlab). */
export type SlabFileIo = Pick<PacketAddon, 'fileReadSlab' | 'fileWriteSlab'>;

/** Names of the shared counters' slots; their indices come from C (enum packet_counter), never mirrored by hand. */
export const COUNTER_NAMES = [
  'framesIn',
  'bytesIn',
  'framesOut',
  'bytesOut',
  'batchesIn',
  'sendBlocked',
  'sendErrors',
  'truncated',
  'kernelDrops',
  'receiveErrors',
  'flags',
  'mtu',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

export const NATIVE_FLAG_UP = 0x1;
export const NATIVE_FLAG_CARRIER = 0x2;

export const FilterMode = { all: 0, requests: 1, responses: 2 } as const;

/** node-gyp-build's resolver (CommonJS, untyped): the path of the addon to load for this platform, or a throw. */
interface NodeGypBuild {
  resolve(directory: string): string;
}

let cached: PacketAddon | undefined;

/**
 * Where the addon is, in node-gyp-build's order: build/Release, build/Debug (a source build), then
 * prebuilds/<platform>-<arch>/ (prebuildify's Node-API builds shipped in the package). None: ERR_AOEKIT_ADDON_MISSING.
 */
function addonPath(require: NodeJS.Require): string {
  const root = packageRoot();
  const nodeGypBuild = require('node-gyp-build') as NodeGypBuild;
  try {
    return nodeGypBuild.resolve(root);
  } catch (cause) {
    const wanted = (cause as Error).message.match(/No native build was found for (.*)/)?.[1]?.trim() ?? String(cause);
    const error = new Error(
      `aoekit: native addon not found under ${root} (no build/Release, build/Debug or prebuilds/${process.platform}-${process.arch}; ` +
        `wanted ${wanted}); build it from source with \`npm rebuild aoekit\` (needs a C compiler, make and Python 3), ` +
        'or `npm run build:native` in a checkout',
      { cause },
    ) as NodeJS.ErrnoException;
    error.code = 'ERR_AOEKIT_ADDON_MISSING';
    throw error;
  }
}

/** Loads the addon once: a source build under build/ when there is one, else the matching prebuild. */
export function loadAddon(): PacketAddon {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  const found = addonPath(require);
  const addon = require(found) as PacketAddon;
  const missing = COUNTER_NAMES.filter((name) => typeof addon.counters?.[name] !== 'number');
  if (missing.length > 0)
    throw new Error(`aoekit: the addon ${found} does not export counter ${missing.join(', ')}; rebuild it (npm run build:native)`);
  cached = addon;
  return addon;
}

/**
 * The addon's slab file I/O, or null when it cannot serve (not Linux, addon not built, or an older build
 * without it): callers then use fs.readvSync / fs.writevSync. Returns the addon object itself.
 */
export function loadSlabFileIo(): SlabFileIo | null {
  if (process.platform !== 'linux') return null;
  let addon: PacketAddon;
  try {
    addon = loadAddon();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_AOEKIT_ADDON_MISSING') return null;
    throw error;
  }
  return typeof addon.fileReadSlab === 'function' && typeof addon.fileWriteSlab === 'function' ? addon : null;
}

/** 6 MAC bytes (network order) as a 48-bit integer. */
export function macToNumber(bytes: Uint8Array): number {
  let value = 0;
  for (let i = 0; i < 6; i++) value = value * 256 + bytes[i];
  return value;
}
