// Sums of an export's counters and latency histograms over the threads that serve it.
import type { LatencySnapshot } from './latency.js';
import { ExportCounters } from './stats.js';

/** One thread's part of an export's figures. */
export interface ExportShare {
  counters: ExportCounters;
  latency: LatencySnapshot;
}

/** The shares added up: every counter, every histogram bucket, the count and the sum. */
export function addShares(shares: readonly ExportShare[]): ExportShare {
  const counters = new ExportCounters();
  const fields = Object.keys(counters) as Array<keyof ExportCounters>;
  const first = shares[0].latency;
  const latency: LatencySnapshot = { boundsSeconds: first.boundsSeconds, counts: first.counts.map(() => 0), count: 0, sumSeconds: 0 };
  for (const share of shares) {
    for (const field of fields) counters[field] += share.counters[field] ?? 0;
    share.latency.counts.forEach((value, index) => {
      latency.counts[index] += value;
    });
    latency.count += share.latency.count;
    latency.sumSeconds += share.latency.sumSeconds;
  }
  return { counters, latency };
}
