// The hand-off micro-benchmark (scenario g): every method carries the bytes both ways intact and keeps requests moving.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HANDOFF_METHODS } from '../../bench/handoff-protocol.js';

// The built module: its worker is the compiled handoff-worker.js next to it (npm test builds first).
const modulePath = fileURLToPath(new URL('../../dist-tools/bench/handoff.js', import.meta.url));

describe('bench hand-off between threads', () => {
  for (const method of HANDOFF_METHODS) {
    for (const write of [true, false]) {
      it(`${method}, ${write ? 'write' : 'read'}: requests complete at depth 1 and 32 with every byte checked on arrival`, async () => {
        const { runHandoffCase } = (await import(modulePath)) as typeof import('../../bench/handoff.js');
        for (const depth of [1, 32]) {
          const result = await runHandoffCase({ method, size: 8192, depth, write }, 0.1);
          expect(result.mismatches).toBe(0);
          expect(result.operations).toBeGreaterThan(depth);
          expect(result.cpuMicrosecondsPerOperation).toBeGreaterThan(0);
        }
      });
    }
  }
});
