// Public NBD API: the server, the block device it serves, and the protocol constants.
export { NbdServer, type NbdServerOptions, type NbdServerStats, type NbdListen, type NbdAddress } from './server.js';
export { DEFAULT_LIMITS, NbdOptionsError, resolveLimits, type NbdLimits } from './limits.js';
export { MemoryBlockDevice, nbdErrorFor, type BlockDevice } from './block-device.js';
export { transmissionFlags, type ExportInfo } from './handshake.js';
export * as nbdProtocol from './protocol.js';
export * from './client-index.js';
