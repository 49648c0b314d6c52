// The hand-written Prometheus text format: HELP/TYPE once per family, escaped labels, cumulative histogram buckets.
import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../../src/metrics/listen.js';
import { MetricsText } from '../../src/metrics/text-format.js';

describe('MetricsText', () => {
  it('writes each family whole, escapes label values and help text, and skips families without samples', () => {
    const text = new MetricsText()
      .family('demo_total', 'counter', 'A "demo"\\counter\nwith two lines.', [
        [{ export: 'e1.1', note: 'quote " backslash \\ newline \n' }, 5],
        [{ export: 'e1.2', note: '' }, 0],
      ])
      .family('empty_total', 'counter', 'nothing', [])
      .family('gauge_value', 'gauge', 'special values', [
        [{ kind: 'nan' }, Number.NaN],
        [{ kind: 'inf' }, Number.POSITIVE_INFINITY],
      ])
      .text();
    expect(text).toBe(
      [
        '# HELP demo_total A "demo"\\\\counter\\nwith two lines.',
        '# TYPE demo_total counter',
        'demo_total{export="e1.1",note="quote \\" backslash \\\\ newline \\n"} 5',
        'demo_total{export="e1.2",note=""} 0',
        '# HELP gauge_value special values',
        '# TYPE gauge_value gauge',
        'gauge_value{kind="nan"} NaN',
        'gauge_value{kind="inf"} +Inf',
        '',
      ].join('\n'),
    );
  });

  it('writes histograms with cumulative buckets, +Inf = count, _sum and _count', () => {
    const text = new MetricsText()
      .histogram('demo_seconds', 'latency', [{ labels: { export: 'e1.1' }, bounds: [0.001, 0.01], counts: [2, 3, 1], sum: 0.05, count: 6 }])
      .text();
    expect(text.split('\n')).toEqual([
      '# HELP demo_seconds latency',
      '# TYPE demo_seconds histogram',
      'demo_seconds_bucket{export="e1.1",le="0.001"} 2',
      'demo_seconds_bucket{export="e1.1",le="0.01"} 5',
      'demo_seconds_bucket{export="e1.1",le="+Inf"} 6',
      'demo_seconds_sum{export="e1.1"} 0.05',
      'demo_seconds_count{export="e1.1"} 6',
      '',
    ]);
  });

  it('refuses a family written twice (its samples would be split)', () => {
    const text = new MetricsText().family('twice_total', 'counter', 'x', [[{}, 1]]);
    expect(() => text.family('twice_total', 'counter', 'x', [[{}, 2]])).toThrow(/twice/);
  });
});

describe('parseListenAddress', () => {
  it('takes HOST:PORT, [IPv6]:PORT and PORT (loopback), nothing else', () => {
    expect(parseListenAddress('0.0.0.0:9100')).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(parseListenAddress('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
    expect(parseListenAddress('9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListenAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    for (const bad of ['', 'host', 'host:port', ':::9100', '1.2.3.4:65536', '1.2.3.4:9100x'])
      expect(parseListenAddress(bad), bad).toBeUndefined();
  });
});
