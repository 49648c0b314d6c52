// Opens a store from a path, `ram:SIZE` spec or NBD URI and applies the optional sector window.
import type { Logger } from '../log.js';
import { isNbdUri } from '../nbd/uri.js';
import { StoreError, type BlockStore } from './block-store.js';
import { FileStore } from './file-store.js';
import { MemoryStore } from './memory-store.js';
import { NbdStore } from './nbd-store.js';
import { WindowStore } from './window-store.js';

export interface OpenStoreOptions {
  readOnly?: boolean;
  sync?: boolean;
  direct?: boolean;
  /** Window start in 512-byte sectors (vblade -o). */
  offsetSectors?: number;
  /** Window length in 512-byte sectors (vblade -l). */
  lengthSectors?: number;
  /** File stores: 'sync' (event-loop pread/pwrite) or 'async' (thread pool); see FileStoreOptions. */
  ioMode?: 'sync' | 'async';
  /** NBD stores: where reconnects and write-back failures are logged. */
  logger?: Logger;
  /** RAM disks: in shared memory, so worker threads can serve them too (MemoryStore.sharedChunks). */
  sharedRam?: boolean;
}

/** Parse 'ram:SIZE' sizes: 512, 4k, 64M, 1G, 1GiB (powers of 1024). Returns undefined when not a ram spec. */
export function parseRamSpec(spec: string): number | undefined {
  if (!spec.startsWith('ram:')) return undefined;
  const match = /^(\d+)\s*([kmgt]?)(i?b)?$/i.exec(spec.slice(4).trim());
  if (!match) throw new StoreError(`bad RAM disk size in '${spec}' (use e.g. ram:64M or ram:1G)`, 'EINVAL');
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[match[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(match[1]) * scale;
}

/** Files and RAM disks (synchronous open). NBD URIs need openStoreAsync. */
export function openStore(spec: string, options: OpenStoreOptions = {}): BlockStore {
  if (isNbdUri(spec)) throw new StoreError(`${spec} is an NBD URI: open it with openStoreAsync`, 'EINVAL');
  const ramSize = parseRamSpec(spec);
  const inner =
    ramSize !== undefined
      ? new MemoryStore(ramSize, { readOnly: options.readOnly, shared: options.sharedRam })
      : FileStore.open(spec, options);
  return applyWindow(inner, spec, options);
}

/** Any store: files, RAM disks and NBD exports (nbd://host[:port]/export, nbd+unix:///export?socket=PATH), which need a handshake. */
export async function openStoreAsync(spec: string, options: OpenStoreOptions = {}): Promise<BlockStore> {
  if (!isNbdUri(spec)) return openStore(spec, options);
  const inner = await NbdStore.open(spec, {
    readOnly: options.readOnly,
    sync: options.sync,
    direct: options.direct,
    logger: options.logger,
  });
  try {
    return applyWindow(inner, spec, options);
  } catch (error) {
    await inner.close();
    throw error;
  }
}

function applyWindow(inner: BlockStore, spec: string, options: OpenStoreOptions): BlockStore {
  if (inner.size < 512) {
    void inner.close();
    throw new StoreError(`${spec} is smaller than one sector`, 'EINVAL');
  }
  if (!options.offsetSectors && options.lengthSectors === undefined) return inner;
  try {
    return new WindowStore(inner, options.offsetSectors ?? 0, options.lengthSectors);
  } catch (error) {
    void inner.close();
    throw error;
  }
}

export { StoreError };
