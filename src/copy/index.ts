// Copying between AoE devices, files, block devices and pipes: the public surface of src/copy.
export { CopyError, type CopyDestination, type CopySource } from './endpoint.js';
export { copy, plannedLength, type CopyOptions, type CopyResult } from './pipeline.js';
export { describeRoom, explainWriteError, formatBytes, type DeviceWindow } from './messages.js';
export { formatDuration, formatProgress, ProgressMeter, STALL_MS, type ProgressView } from './progress.js';
export { isDeviceSpec, openCopyDestination, openCopySource, type EndpointOptions, type Opened } from './open.js';
