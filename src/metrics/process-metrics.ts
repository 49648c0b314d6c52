// The standard process_* families (CPU seconds, resident memory, start time) every exporter shows, read at scrape time.
import type { MetricsText } from './text-format.js';

const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());

/** Append process_cpu_seconds_total, process_resident_memory_bytes and process_start_time_seconds. */
export function writeProcessMetrics(text: MetricsText): void {
  const cpu = process.cpuUsage();
  text
    .family('process_cpu_seconds_total', 'counter', 'User and system CPU time spent, in seconds.', [[{}, (cpu.user + cpu.system) / 1e6]])
    .family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [[{}, process.memoryUsage.rss()]])
    .family('process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch, in seconds.', [[{}, startTimeSeconds]]);
}
