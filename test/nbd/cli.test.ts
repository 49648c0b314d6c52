// `aoe nbd` argument errors (no network needed): one clear line and exit 2. Needs `npm run build:ts`.
import { describe, expect, it } from 'vitest';
import { runCli } from '../initiator/vblade-helpers.js';

describe('aoe nbd arguments', () => {
  it('is listed in aoe --help', async () => {
    const result = await runCli('aoe', ['--help']);
    expect(result.stdout).toMatch(/\bnbd\b/);
  });

  it('refuses --socket with --listen, a bad --listen and a bad --queue-depth before touching the network', async () => {
    const both = await runCli('aoe', ['nbd', 'aoe:e1.1', '--socket', '/tmp/x.sock', '--listen', '10809']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--socket or --listen, not both/);
    const listen = await runCli('aoe', ['nbd', 'aoe:e1.1', '--listen', 'host:port']);
    expect(listen.code).toBe(2);
    expect(listen.stderr).toMatch(/--listen must be HOST:PORT/);
    const depth = await runCli('aoe', ['nbd', 'aoe:e1.1', '--socket', '/tmp/x.sock', '--queue-depth', '0']);
    expect(depth.code).toBe(2);
    expect(depth.stderr).toMatch(/--queue-depth must be between 1 and 1024/);
  });
});
