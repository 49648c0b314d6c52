// Vitest helpers for suites that need the network lab: build before, always destroy after, fail loudly unless AOEKIT_SKIP_NET=1.
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { createLab, installLabExitCleanup, type Lab, type LabOptions } from '../../tools/lab/netlab.js';

const LAB_TIMEOUT_MS = 60_000;

/** True when the environment asks to skip network tests instead of failing them. */
export const skipNetAllowed = process.env.AOEKIT_SKIP_NET === '1';

export interface LabHandle {
  /** The lab; throws if it was not built (only reachable when the suite is being skipped). */
  readonly lab: Lab;
  /** Why the lab could not be built when AOEKIT_SKIP_NET=1, otherwise undefined. */
  readonly skipReason: string | undefined;
}

/**
 * Build a lab in beforeAll and destroy it (and every process spawned in it) in afterAll. If it cannot
 * be built the suite fails with the reason, unless AOEKIT_SKIP_NET=1: then every test in the suite is
 * skipped with the reason shown in the report.
 */
export function useLab(options: LabOptions = {}): LabHandle {
  installLabExitCleanup();
  let lab: Lab | undefined;
  let skipReason: string | undefined;

  beforeAll(async () => {
    try {
      lab = await createLab(options);
    } catch (error) {
      if (!skipNetAllowed) throw error;
      skipReason = `network lab unavailable (AOEKIT_SKIP_NET=1): ${(error as Error).message}`;
      console.warn(`[aoekit] SKIPPING network tests: ${skipReason}`);
    }
  }, LAB_TIMEOUT_MS);

  beforeEach((context) => {
    if (skipReason !== undefined) context.skip(skipReason);
  });

  afterAll(async () => {
    await lab?.destroy();
  }, LAB_TIMEOUT_MS);

  return {
    get lab(): Lab {
      if (lab === undefined) throw new Error(skipReason ?? 'network lab not built yet (use it inside a test)');
      return lab;
    },
    get skipReason() {
      return skipReason;
    },
  };
}

/** describe() whose tests run against a fresh lab: netDescribe('failover', { links: 2 }, (net) => { it(..., () => net.lab) }). */
export function netDescribe(name: string, options: LabOptions, body: (handle: LabHandle) => void): void {
  describe(`${name} [netlab]`, () => {
    const handle = useLab(options);
    body(handle);
  });
}
