// Public initiator API: discovery, devices, policies and control-plane helpers.
export {
  discover,
  discoverOnLinks,
  hasPayloadMismatch,
  type DiscoveredDevice,
  type DiscoveredPath,
  type DiscoverOptions,
} from './discover.js';
export { openDevice, parseDeviceName, type OpenDeviceOptions } from './open.js';
export { conflictError, describeConflict, type IdentityGroup, type PathIdentity } from './identity.js';
export { Device } from './device.js';
export type { DeviceStats, PathStats } from './device-stats.js';
export { createPolicy, POLICY_NAMES, type Policy, type PolicyName } from './policy.js';
export { DEFAULT_TUNING, type PathTuning } from './path-options.js';
export { InitiatorError, aoeErrorCode, ataErrorCode } from './errors.js';
export {
  queryConfig,
  setConfig,
  identify,
  maskList,
  reserve,
  flushCache,
  ataCommand,
  type ConfigInfo,
  type FlushMode,
  type MaskEdit,
} from './commands.js';
export { LinkPort } from './port.js';
export { openLinks, defaultInterfaces, type LinkSource } from './links.js';
export { withDeviceTargets, type TargetHandle } from './admin.js';
export { deviceConfig, deviceMask, deviceReservation, expandSelf, type MacOrSelf, type TargetRow } from './device-admin.js';
export { probePathMtu, type MtuProbeResult } from './probe-mtu.js';
export { LOAD_PATTERNS, runLoad, type LoadPattern, type LoadResult, type LoadSpec } from './workload.js';
