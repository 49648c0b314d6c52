// The Prometheus text exposition format (0.0.4), written by hand: one family at a time, escaped labels, cumulative histograms.

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Readonly<Record<string, string | number>>;
/** One sample of a family: its labels and value. */
export type Sample = readonly [Labels, number];

/** The content type Prometheus expects for this format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  return `{${names.map((name) => `${name}="${escapeLabel(String(labels[name]))}"`).join(',')}}`;
}

/**
 * Collects families into one scrape body. Every family is written whole (HELP, TYPE, then all its samples), as
 * the format asks; a family with no samples is left out.
 */
export class MetricsText {
  private readonly parts: string[] = [];
  private readonly written = new Set<string>();

  private header(name: string, type: MetricType, help: string): void {
    if (this.written.has(name)) throw new Error(`metric family ${name} written twice`);
    this.written.add(name);
    this.parts.push(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`);
  }

  /** A counter or gauge family with its samples. */
  family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[]): this {
    if (samples.length === 0) return this;
    this.header(name, type, help);
    for (const [labels, value] of samples) this.parts.push(`${name}${formatLabels(labels)} ${formatValue(value)}\n`);
    return this;
  }

  /**
   * A histogram family. Each entry gives finite bucket bounds, per-bucket counts that are NOT cumulative (one more
   * than the bounds: the last counts everything above them), the sum and the count.
   */
  histogram(
    name: string,
    help: string,
    entries: ReadonlyArray<{ labels: Labels; bounds: readonly number[]; counts: readonly number[]; sum: number; count: number }>,
  ): this {
    if (entries.length === 0) return this;
    this.header(name, 'histogram', help);
    for (const { labels, bounds, counts, sum, count } of entries) {
      let cumulative = 0;
      bounds.forEach((bound, index) => {
        cumulative += counts[index] ?? 0;
        this.parts.push(`${name}_bucket${formatLabels({ ...labels, le: formatValue(bound) })} ${cumulative}\n`);
      });
      this.parts.push(`${name}_bucket${formatLabels({ ...labels, le: '+Inf' })} ${count}\n`);
      this.parts.push(`${name}_sum${formatLabels(labels)} ${formatValue(sum)}\n`);
      this.parts.push(`${name}_count${formatLabels(labels)} ${count}\n`);
    }
    return this;
  }

  text(): string {
    return this.parts.join('');
  }
}
