// The target's latency histogram: power-of-two bucket edges, +Inf, and one observation per reply sent by a running target.
import { afterEach, describe, expect, it } from 'vitest';
import { LATENCY_BOUNDS_SECONDS, LATENCY_BUCKETS, LatencyHistogram } from '../../src/blade/latency.js';
import { ataFrame } from './aoe-test-client.js';
import { INITIATOR_MAC, TARGET_MAC, startFixture, type Fixture } from './fixture.js';

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** The bucket index `milliseconds` lands in. */
function bucketOf(milliseconds: number): number {
  const histogram = new LatencyHistogram();
  histogram.observe(milliseconds);
  return histogram.counts.indexOf(1);
}

describe('LatencyHistogram', () => {
  it('puts a latency in the smallest bucket whose bound is at least it (8 us doubling to ~8.4 s), slower ones in +Inf', () => {
    expect(LATENCY_BOUNDS_SECONDS).toHaveLength(LATENCY_BUCKETS);
    expect(LATENCY_BOUNDS_SECONDS[0]).toBeCloseTo(8e-6, 12);
    expect(LATENCY_BOUNDS_SECONDS[LATENCY_BUCKETS - 1]).toBeCloseTo(8.388608, 9);
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-0.001)).toBe(0); // clocks never run back, but a negative difference must not index below 0
    expect(bucketOf(0.008)).toBe(0); // exactly 8 us
    expect(bucketOf(0.0081)).toBe(1);
    expect(bucketOf(0.016)).toBe(1);
    expect(bucketOf(0.0161)).toBe(2);
    expect(bucketOf(1)).toBe(7); // 1 ms <= 1.024 ms
    expect(bucketOf(1.025)).toBe(8);
    expect(bucketOf(8388.608)).toBe(LATENCY_BUCKETS - 1);
    expect(bucketOf(8389)).toBe(LATENCY_BUCKETS); // +Inf
    for (let index = 0; index < LATENCY_BUCKETS; index++) {
      const bound = LATENCY_BOUNDS_SECONDS[index] * 1000;
      expect(bucketOf(bound), `bound ${bound} ms`).toBe(index);
      expect(bucketOf(bound * 1.01), `just above ${bound} ms`).toBe(index + 1);
    }
  });

  it('keeps count and sum; the snapshot is plain numbers', () => {
    const histogram = new LatencyHistogram();
    for (const milliseconds of [0.005, 0.5, 2, 20]) histogram.observe(milliseconds);
    const snapshot = histogram.snapshot();
    expect(snapshot.count).toBe(4);
    expect(snapshot.sumSeconds).toBeCloseTo(0.022505, 9);
    expect(snapshot.counts.reduce((sum, count) => sum + count, 0)).toBe(4);
    expect(JSON.parse(JSON.stringify(snapshot)).counts).toHaveLength(LATENCY_BUCKETS + 1);
  });

  it('a running target observes one latency per reply it sends (IDENTIFY and READs), none for the start-up announcement', async () => {
    fixture = await startFixture({ targetOptions: { announce: true } });
    const base = { source: INITIATOR_MAC, destination: TARGET_MAC, shelf: 1, slot: 2 };
    await fixture.initiator.request(ataFrame({ ...base, tag: 1, sectorCount: 1, ataCommand: 0xec }));
    for (let tag = 2; tag < 12; tag++)
      await fixture.initiator.request(ataFrame({ ...base, tag, sectorCount: 2, ataCommand: 0x20, lba: tag }));
    const latency = fixture.target.stats().exports[0].latency;
    expect(latency.count).toBe(11);
    expect(latency.sumSeconds).toBeGreaterThanOrEqual(0);
    expect(latency.sumSeconds).toBeLessThan(1);
  });
});
