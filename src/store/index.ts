// Public surface of the store layer.
export * from './block-store.js';
export { FileStore, blockDeviceSize, type FileStoreOptions } from './file-store.js';
export { MemoryStore, availableMemoryBytes } from './memory-store.js';
export { WindowStore } from './window-store.js';
export { openStore, openStoreAsync, parseRamSpec, type OpenStoreOptions } from './open-store.js';
export { NbdStore, type NbdStoreOptions } from './nbd-store.js';
