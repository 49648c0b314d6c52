// Scenario 6: fuzzing the target engine in memory (1,000,000 frames) and replaying saved crashers.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runEngineFuzz, type EngineFuzzFigures } from '../../tools/reliability/engine-fuzz.js';
import { recordFigures } from '../../tools/reliability/figures.js';

const crasherDir = fileURLToPath(new URL('../fixtures/target-crashers/', import.meta.url));
const FRAMES = Number(process.env.AOEKIT_FUZZ_FRAMES ?? 1_000_000);

function expectClean(figures: EngineFuzzFigures): void {
  expect(figures.problems).toEqual([]);
  expect(figures.crashes).toBe(0);
  expect(figures.guardViolations).toBe(0);
  expect(figures.unexpectedReplies).toBe(0);
  expect(figures.missingReplies).toBe(0);
  expect(figures.duplicateReplies).toBe(0);
  expect(figures.malformedReplies).toBe(0);
  expect(figures.leakedPoolSlots).toBe(0);
}

describe('target engine fuzzing (in memory)', () => {
  it('replays every saved crasher without a crash, a window escape or a reply where silence is due', async () => {
    const replay = readdirSync(crasherDir)
      .filter((name) => name.endsWith('.hex'))
      .map((name) => Buffer.from(readFileSync(crasherDir + name, 'utf8').trim(), 'hex'));
    const figures = await runEngineFuzz({ frames: 0, replay });
    expect(figures.frames).toBe(replay.length);
    expectClean(figures);
  });

  it(`survives ${FRAMES} random and mutated frames at MTU 9000 and 1500`, async () => {
    const large = await runEngineFuzz({ frames: Math.ceil(FRAMES * 0.7), seed: 20261122, mtu: 9000, crasherDir });
    const small = await runEngineFuzz({ frames: Math.floor(FRAMES * 0.3), seed: 4242, mtu: 1500, crasherDir });
    const both = [large, small];
    const sum = (key: keyof EngineFuzzFigures) => both.reduce((total, figures) => total + (figures[key] as number), 0);
    recordFigures(
      6,
      'fuzz, in-memory engine',
      'Random, edge-case and mutated frames of every command type through the real target engine: no crash, no store access outside the export window, no reply where the protocol says silence, no missing or malformed reply, no leaked pool frame.',
      {
        frames: sum('frames'),
        'frames/s': Math.round(sum('frames') / (large.seconds + small.seconds)),
        seconds: Math.round((large.seconds + small.seconds) * 10) / 10,
        replies: sum('replies'),
        'store reads': sum('storeReads'),
        'store writes': sum('storeWrites'),
        crashes: sum('crashes'),
        'out-of-window accesses': sum('guardViolations'),
        'replies where silence was due': sum('unexpectedReplies'),
        'missing replies': sum('missingReplies'),
        'malformed replies': sum('malformedReplies'),
        'leaked pool frames': sum('leakedPoolSlots'),
        'crashers saved': large.crashersSaved.length + small.crashersSaved.length,
        mix: Object.entries(large.byKind)
          .map(([kind, count]) => `${kind} ${count}`)
          .join(', '),
      },
    );
    expectClean(large);
    expectClean(small);
    expect(large.frames + small.frames).toBeGreaterThanOrEqual(FRAMES);
    // The generator must actually reach the store and every command type, or the run proves nothing.
    expect(large.storeReads).toBeGreaterThan(FRAMES / 100);
    expect(large.storeWrites).toBeGreaterThan(FRAMES / 100);
    for (const kind of ['ata', 'config', 'mask', 'reserve', 'command', 'noise', 'mutated']) expect(large.byKind[kind]).toBeGreaterThan(0);
  }, 300_000);
});
