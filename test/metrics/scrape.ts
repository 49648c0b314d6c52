// Test helpers for /metrics bodies: one sample's value, and promtool's lint (Debian's prometheus package, from scripts/setup.sh).
import { spawnSync } from 'node:child_process';

/** The value of one sample line (`name{labels}`) in a scrape body, or undefined when the series is absent. */
export function sampleValue(body: string, series: string): number | undefined {
  const line = body.split('\n').find((text) => text.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** `promtool check metrics` on a scrape body; a missing promtool fails the test (it is a required package). */
export function promtoolCheck(body: string): { code: number; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
  if (result.error) throw new Error(`promtool is missing (run scripts/setup.sh, which installs prometheus): ${result.error.message}`);
  return { code: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}
