// CLI argument errors of `aoe` (no network needed): one clear line and a non-zero exit. Needs `npm run build:ts`.
import { describe, expect, it } from 'vitest';
import { runCli } from '../initiator/vblade-helpers.js';

describe('aoe CLI argument errors', () => {
  it('lists the initiator subcommands in --help', async () => {
    const result = await runCli('aoe', ['--help']);
    expect(result.code).toBe(0);
    for (const name of ['discover', 'stat', 'copy', 'bench', 'cfg', 'mask', 'reserve', 'probe-mtu']) expect(result.stdout).toContain(name);
  });

  it('refuses write benchmarks without --allow-write', async () => {
    const result = await runCli('aoe', ['bench', 'aoe:e1.1', '--pattern', 'seqwrite']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--allow-write/);
  });

  it('rejects a bad pattern, block size and size syntax', async () => {
    expect((await runCli('aoe', ['bench', 'aoe:e1.1', '--pattern', 'zigzag'])).stderr).toMatch(/--pattern must be one of/);
    expect((await runCli('aoe', ['bench', 'aoe:e1.1', '--bs', '1000'])).stderr).toMatch(/--bs must be a multiple of 512/);
    const copy = await runCli('aoe', ['copy', 'aoe:e1.1', '/tmp/x', '--chunk', 'lots']);
    expect(copy.code).toBe(2);
    expect(copy.stderr).toMatch(/--chunk must be a size/);
  });

  it('needs an AoE device on one side of copy', async () => {
    const result = await runCli('aoe', ['copy', '/tmp/a', '/tmp/b']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/one of SRC and DST must be an AoE device/);
  });

  it('rejects unknown options with usage exit code 2', async () => {
    const result = await runCli('aoe-discover', ['--frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown option/);
  });
});
