// Vitest configuration: where tests live, generous timeouts for the network lab, the plain summary line CI reads, and the workers run.
import { defineConfig } from 'vitest/config';

/** Reliability suites whose aoeblade serves more than one NIC: they run again with two worker threads (issue 13). */
const MULTI_NIC_RELIABILITY = ['allow-list', 'concurrency', 'egress', 'fuzz-link', 'link-failure', 'loss', 'restart'].map(
  (name) => `test/reliability/${name}.integration.test.ts`,
);

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'workers-2', include: MULTI_NIC_RELIABILITY, env: { AOEKIT_TEST_WORKERS: '2' } },
      },
      {
        // The same suites with the initiator's NICs served from their own threads (ThreadLink), in-process and in `aoe`.
        extends: true,
        test: { name: 'link-threads', include: MULTI_NIC_RELIABILITY, env: { AOEKIT_LINK_THREADS: '1' } },
      },
    ],
  },
});
