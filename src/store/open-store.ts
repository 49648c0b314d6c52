// Opens a store from a path or `ram:SIZE` spec and applies the optional sector window.
import { StoreError, type BlockStore } from './block-store.js';
import { FileStore } from './file-store.js';
import { MemoryStore } from './memory-store.js';
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
}

/** Parse 'ram:SIZE' sizes: 512, 4k, 64M, 1G, 1GiB (powers of 1024). Returns undefined when not a ram spec. */
export function parseRamSpec(spec: string): number | undefined {
  if (!spec.startsWith('ram:')) return undefined;
  const match = /^(\d+)\s*([kmgt]?)(i?b)?$/i.exec(spec.slice(4).trim());
  if (!match) throw new StoreError(`bad RAM disk size in '${spec}' (use e.g. ram:64M or ram:1G)`, 'EINVAL');
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[match[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(match[1]) * scale;
}

export function openStore(spec: string, options: OpenStoreOptions = {}): BlockStore {
  const ramSize = parseRamSpec(spec);
  const inner = ramSize !== undefined ? new MemoryStore(ramSize, { readOnly: options.readOnly }) : FileStore.open(spec, options);
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
