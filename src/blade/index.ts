// Public surface of the target layer.
export { createTarget, validateExports, type Target, type TargetOptions } from './server.js';
export {
  ExportRuntime,
  MASK_LIST_MAX,
  RESERVE_LIST_MAX,
  type ExportOptions,
  type ExportIdentity,
  type PersistedExportState,
} from './export.js';
export { NicEngine, type NicEngineOptions } from './engine.js';
export { loadExportState, saveExportState, stateFilePath } from './state-store.js';
export { openControlSocket, type ControlSocket } from './control-socket.js';
export type { TargetStats, ExportStatsSnapshot, NicStatsSnapshot } from './stats.js';
export { LatencyHistogram, LATENCY_BOUNDS_SECONDS, LATENCY_BUCKETS, type LatencySnapshot } from './latency.js';
export { AUDIT_INTERVAL_MS, AuditKind, ExportAudit, NO_AUDIT, type AuditTrail } from './audit.js';
export { requestControl, requestTargetStats, type ControlRequestOptions } from './control-client.js';
export { meanLatencySeconds, targetRates, type ExportRates, type NicRates, type TargetRates } from './stats-rates.js';
export { launchTarget } from './launch.js';
export { parseServeConfig, ConfigError, type ServeConfig, type ServeExportConfig } from './serve-config.js';
