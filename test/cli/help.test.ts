// Help text: examples in every command's --help, defaults and choices shown as typed (no JSON quotes), serve's --netns/--mtu.
import { describe, expect, it } from 'vitest';
import { run } from './run.js';

const AOE_COMMANDS = ['discover', 'stat', 'stats', 'copy', 'bench', 'cfg', 'mask', 'reserve', 'probe-mtu', 'nbd', 'serve'];

describe('--help', () => {
  it('every aoe subcommand, aoe itself, aoeblade and aoe-discover show examples, and no default or choice in quotes', async () => {
    const helps = await Promise.all([
      ...AOE_COMMANDS.map(async (name) => ({ name: `aoe ${name}`, result: await run('aoe', [name, '--help']) })),
      (async () => ({ name: 'aoe', result: await run('aoe', ['--help']) }))(),
      (async () => ({ name: 'aoeblade', result: await run('aoeblade', ['--help']) }))(),
      (async () => ({ name: 'aoe-discover', result: await run('aoe-discover', ['--help']) }))(),
    ]);
    for (const { name, result } of helps) {
      expect(result.code, name).toBe(0);
      expect(result.stdout, name).toMatch(/\nExamples:\n {2}\S/);
      expect(result.stdout, name).not.toMatch(/\(default: "|default: "|choices: "/);
    }
  });

  it('shows defaults as typed: (default: 1M), (default: 16), choices: 512, 4096', async () => {
    const copy = (await run('aoe', ['copy', '--help'])).stdout;
    expect(copy).toMatch(/bytes per I\/O request \(default: 1M\)/);
    const blade = (await run('aoeblade', ['--help'])).stdout.replace(/\s+/g, ' ');
    expect(blade).toContain('(default: 16)');
    expect(blade).toContain('(choices: 512, 4096, default: 512)');
    expect(blade).toContain('(choices: trace, debug, info, warn, error, fatal, silent, default: info, env: AOEKIT_LOG_LEVEL)');
    expect(blade).not.toContain('socat'); // aoe stats reads the control socket
    expect(blade).toContain('aoe stats --socket');
  });

  it('aoe serve takes --netns, --mtu and --metrics-listen; aoe stats documents its columns; --mtu only on I/O commands', async () => {
    const serve = (await run('aoe', ['serve', '--help'])).stdout;
    for (const flag of ['--netns <name>', '--mtu <bytes>', '--metrics-listen <host:port>', '--log-level <level>'])
      expect(serve).toContain(flag);
    const stats = (await run('aoe', ['stats', '--help'])).stdout;
    for (const flag of ['--socket <path>', '--json', '--watch <seconds>', '(default: /run/aoeblade.sock)']) expect(stats).toContain(flag);
    for (const name of ['copy', 'bench', 'nbd', 'probe-mtu'])
      expect((await run('aoe', [name, '--help'])).stdout, name).toContain('--mtu <bytes>');
    for (const name of ['discover', 'stat', 'cfg', 'mask', 'reserve'])
      expect((await run('aoe', [name, '--help'])).stdout, name).not.toContain('--mtu');
  });
});
