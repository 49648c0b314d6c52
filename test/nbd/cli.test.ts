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

  it('takes the memory limits as flags, refuses bad ones with one line before touching the network, and documents them and SIGHUP', async () => {
    const help = await runCli('aoe', ['nbd', '--help']);
    for (const flag of ['--max-request', '--connection-buffer', '--server-buffer', '--max-connections'])
      expect(help.stdout).toContain(flag);
    expect(help.stdout).toMatch(/SIGHUP/);
    const small = await runCli('aoe', ['nbd', 'aoe:e1.1', '--socket', '/tmp/x.sock', '--max-request', '1k']);
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/^aoe: --max-request must be at least 4 KiB/);
    const budget = await runCli('aoe', ['nbd', 'aoe:e1.1', '--socket', '/tmp/x.sock', '--connection-buffer', '16M']);
    expect(budget.code).toBe(2);
    expect(budget.stderr).toMatch(/^aoe: --connection-buffer must be at least --max-request \(32 MiB\)/);
    const connections = await runCli('aoe', ['nbd', 'aoe:e1.1', '--socket', '/tmp/x.sock', '--max-connections', '0']);
    expect(connections.code).toBe(2);
    expect(connections.stderr).toMatch(/--max-connections must be between 1 and 65536/);
  });
});
