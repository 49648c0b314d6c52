// Copy progress as numbers and text: the recent rate (not the average), the ETA, and 'stalled: N/M paths up' after 2 s still.
import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgress, ProgressMeter, STALL_MS } from '../../src/copy/progress.js';

const MiB = 2 ** 20;

describe('ProgressMeter', () => {
  it('the rate is taken over the last 5 s, not since the start', () => {
    const meter = new ProgressMeter(0);
    // 10 s at 100 MB/s, then 10 s at 10 MB/s, sampled every 200 ms.
    let copied = 0;
    for (let now = 200; now <= 20_000; now += 200) {
      copied += now <= 10_000 ? 20e6 : 2e6;
      meter.sample(copied, now);
    }
    const view = meter.view(1e10, 20_000);
    expect(view.bytesPerSecond).toBeCloseTo(10e6, -3); // the average would be 55 MB/s
    expect(view.etaSeconds).toBeCloseTo((1e10 - copied) / 10e6, 0);
    expect(view.stalled).toBe(false);
  });

  it('nothing moved for 2 s: stalled, rate 0, no ETA; moving again clears it', () => {
    const meter = new ProgressMeter(0);
    meter.sample(64 * MiB, 1000);
    meter.sample(64 * MiB, 1000 + STALL_MS - 1);
    expect(meter.view(128 * MiB, 1000 + STALL_MS - 1).stalled).toBe(false);
    meter.sample(64 * MiB, 1000 + STALL_MS);
    const stalled = meter.view(128 * MiB, 1000 + STALL_MS, { up: 0, total: 2 });
    expect(stalled).toMatchObject({ stalled: true, bytesPerSecond: 0, etaSeconds: undefined, paths: { up: 0, total: 2 } });
    meter.sample(65 * MiB, 3500);
    expect(meter.view(128 * MiB, 3500).stalled).toBe(false);
  });

  it('without a total there is no ETA', () => {
    const meter = new ProgressMeter(0);
    meter.sample(10 * MiB, 1000);
    expect(meter.view(undefined, 1000)).toMatchObject({ total: undefined, etaSeconds: undefined });
  });
});

describe('formatProgress', () => {
  const view = { copied: 16 * MiB, total: 64 * MiB, bytesPerSecond: 105.34e6, etaSeconds: 65, stalled: false, paths: { up: 2, total: 2 } };

  it('bar, MiB done of total, percent, current MB/s and ETA', () => {
    expect(formatProgress(view, 8)).toBe('[##      ] 16.0/64.0 MiB 25% 105.3 MB/s ETA 1:05');
  });

  it('a stalled copy says how many paths are up', () => {
    expect(formatProgress({ ...view, bytesPerSecond: 0, etaSeconds: undefined, stalled: true, paths: { up: 0, total: 2 } }, 8)).toBe(
      '[##      ] 16.0/64.0 MiB 25% 0.0 MB/s stalled: 0/2 paths up',
    );
  });

  it('a stream of unknown length shows bytes and rate only', () => {
    expect(formatProgress({ ...view, total: undefined, etaSeconds: undefined })).toBe('16.0 MiB 105.3 MB/s');
  });

  it('durations as m:ss or h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(59.6)).toBe('1:00');
    expect(formatDuration(3723)).toBe('1:02:03');
  });
});
