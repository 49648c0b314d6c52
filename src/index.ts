// The public API of aoekit: everything a CLI can do is reachable from here.
export * from './wire/index.js';
export * from './link/index.js';
export * from './store/index.js';
export * from './blade/index.js';
export * from './initiator/index.js';
export * from './copy/index.js';
export * from './metrics/index.js';
export { createLogger, isLogLevel, LOG_LEVELS, silentLogger, type Logger, type LoggerOptions, type LogLevel } from './log.js';
export {
  NbdServer,
  MemoryBlockDevice,
  nbdErrorFor,
  DEFAULT_LIMITS as NBD_DEFAULT_LIMITS,
  resolveLimits as resolveNbdLimits,
  type BlockDevice,
  type NbdServerOptions,
  type NbdLimits,
  type NbdServerStats,
} from './nbd/index.js';
export { NBD_OPERATIONS, type NbdOperation, type NbdOperationCounts } from './nbd/counters.js';
export {
  NbdClient,
  NbdClientError,
  probeNbdExport,
  parseNbdUri,
  isNbdUri,
  type NbdClientOptions,
  type ExportDetails,
} from './nbd/client-index.js';
