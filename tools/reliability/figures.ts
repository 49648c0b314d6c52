// Where reliability scenarios record their figures (one JSON file per scenario) for RELIABILITY.md to be rendered from.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type FigureValue = number | string | boolean;

export interface ScenarioRecord {
  /** Issue item number (1..9) and a short scenario name. */
  item: number;
  scenario: string;
  /** What was proven, in one sentence. */
  claim: string;
  figures: Record<string, FigureValue>;
  /** 'full' = the sizes (the default: npm test, npm run reliability); 'quick' = AOEKIT_RELIABILITY_QUICK=1 developer sizes. */
  mode: 'full' | 'quick';
  recordedAt: string;
}

/** The full sizes of the issue (256 MiB, etc.) unless AOEKIT_RELIABILITY_QUICK=1 asks for the small developer sizes. */
export const fullRun = process.env.AOEKIT_RELIABILITY_QUICK !== '1';

export function figuresDirectory(): string {
  return process.env.AOEKIT_RELIABILITY_DIR ?? path.join(os.tmpdir(), `aoekit-reliability-${process.getuid?.() ?? 0}`);
}

/** Record one scenario's figures (overwrites an earlier record of the same scenario). */
export function recordFigures(item: number, scenario: string, claim: string, figures: Record<string, FigureValue>): void {
  const record: ScenarioRecord = { item, scenario, claim, figures, mode: fullRun ? 'full' : 'quick', recordedAt: new Date().toISOString() };
  const directory = figuresDirectory();
  mkdirSync(directory, { recursive: true });
  const file = path.join(directory, `${item}-${scenario.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`);
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`[reliability] ${item} ${scenario}: ${JSON.stringify(figures)}`);
}
