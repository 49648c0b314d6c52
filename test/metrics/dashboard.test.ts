// The example Grafana dashboard uses only metric families aoeblade and aoe nbd serve, and has the panels the README lists.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderNbdMetrics } from '../../src/metrics/nbd-metrics.js';
import { renderTargetMetrics } from '../../src/metrics/target-metrics.js';
import { MemoryBlockDevice, NbdServer } from '../../src/nbd/index.js';
import { startFixture } from '../blade/fixture.js';
import { dashboardQueries } from './dashboard.js';

/** Family names declared (# TYPE) in a scrape body. */
function families(body: string): Set<string> {
  return new Set([...body.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]));
}

describe('examples/grafana-dashboard.json', () => {
  it('is JSON with panels for bytes, IOPS, errors, in flight, latency quantiles, NIC frames and drops', () => {
    const dashboard = JSON.parse(fs.readFileSync(new URL('../../examples/grafana-dashboard.json', import.meta.url), 'utf8'));
    const titles = dashboard.panels.map((panel: { title: string }) => panel.title);
    for (const title of [
      'Read / write bytes per second',
      'IOPS',
      'Errors per second',
      'Requests in flight',
      'Request latency (arrival to reply sent)',
      'Frames per second',
      'Drops and send retries per second',
    ]) {
      expect(titles).toContain(title);
    }
    const latency = dashboardQueries().filter((query) => query.panel === 'Request latency (arrival to reply sent)');
    expect(latency.map((query) => /histogram_quantile\((0\.\d+),/.exec(query.expr)?.[1]).filter(Boolean)).toEqual(['0.5', '0.99', '0.999']);
  });

  it('every metric it queries is a family aoeblade or aoe nbd serves', async () => {
    const fixture = await startFixture();
    const nbd = new NbdServer({ device: new MemoryBlockDevice(1024 * 1024) });
    const path = { index: 0, interface: 'i0', targetMac: '02:00:00:00:00:01', mtu: 1500, payloadBytes: 1024, state: 'up' };
    const counters = { cwnd: 1, ssthresh: 1, inflight: 0, srttMs: 1, rtoMs: 1, framesSent: 0, framesAcked: 0, bytesAcked: 0 };
    const device = {
      name: 'e1.1',
      size: 1024 * 1024,
      policy: 'least-queue',
      reads: 0,
      writes: 0,
      bytesRead: 0,
      bytesWritten: 0,
      retransmits: 0,
      fastRetransmits: 0,
      timeoutRetransmits: 0,
      spuriousRetransmits: 0,
      ignoredReplies: 0,
      paths: [
        {
          ...path,
          ...counters,
          retransmits: 0,
          fastRetransmits: 0,
          timeouts: 0,
          spuriousRetransmits: 0,
          reorderWindowMs: 1,
          downEvents: 0,
        },
      ],
    };
    const served = new Set([...families(renderTargetMetrics(fixture.target.stats())), ...families(renderNbdMetrics(nbd.stats(), device))]);
    await fixture.close();
    for (const { panel, expr } of dashboardQueries()) {
      for (const [name] of expr.matchAll(/\baoe(?:blade)?_[a-z_]+/g)) {
        const family = name.replace(/_(bucket|sum|count)$/, '');
        expect(served.has(family) || served.has(name), `${panel}: ${name}`).toBe(true);
      }
    }
  });
});
