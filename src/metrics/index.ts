// Public surface of the metrics layer: the text format, the /metrics endpoint and the target's and aoe nbd's renderers.
export { MetricsText, METRICS_CONTENT_TYPE, type Labels, type MetricType, type Sample } from './text-format.js';
export { startMetricsServer, type MetricsServer } from './http-server.js';
export { formatListenAddress, parseListenAddress, type ListenAddress } from './listen.js';
export { renderTargetMetrics } from './target-metrics.js';
export { renderNbdMetrics, writeDeviceMetrics } from './nbd-metrics.js';
export { writeProcessMetrics } from './process-metrics.js';
