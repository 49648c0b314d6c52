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
export { launchTarget } from './launch.js';
export { parseServeConfig, ConfigError, type ServeConfig, type ServeExportConfig } from './serve-config.js';
