// CLI messages without a network: --log-level as a choice, --mtu refused off the I/O commands, device names, metrics bind errors, ISO logs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIST_CLI, expectOneLineError, run } from './run.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function temporaryDirectory(): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'aoekit-cli-'));
  cleanup.push(() => fs.rmSync(directory, { recursive: true, force: true }));
  return directory;
}

describe('logs', () => {
  it('--log-level takes a known level only: a one-line usage error (exit 2) in aoeblade, aoe serve and aoe nbd', async () => {
    for (const [bin, argv] of [
      ['aoeblade', ['--log-level', 'loud', '1', '1', 'eth9', 'ram:1M']],
      ['aoe', ['serve', '--config', '/nonexistent.json', '--log-level', 'loud']],
      ['aoe', ['nbd', 'e1.1', '--log-level', 'loud']],
    ] as const) {
      const result = await run(bin, [...argv]);
      expect(result.code, argv.join(' ')).toBe(2);
      const [message] = expectOneLineError(result);
      expect(message).toMatch(
        /'--log-level <level>' argument 'loud' is invalid\. Allowed choices are trace, debug, info, warn, error, fatal, silent/,
      );
    }
  });

  it('JSON log lines carry ISO timestamps, and AOEKIT_LOG_LEVEL=loud is one line too', () => {
    const log = path.join(DIST_CLI, '../log.js');
    const script = `import(${JSON.stringify(log)}).then((m) => m.createLogger({ name: 'demo', pretty: false }).info({ a: 1 }, 'hi'))`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    const line = JSON.parse(child.stderr) as { time: unknown; name: unknown; msg: unknown };
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(line).toMatchObject({ name: 'demo', msg: 'hi' });
    const config = path.join(temporaryDirectory(), 'serve.json');
    fs.writeFileSync(config, JSON.stringify({ exports: [{ shelf: 1, slot: 1, path: 'ram:1M', interfaces: ['nonexistent0'] }] }));
    const bad = spawnSync(process.execPath, [path.join(DIST_CLI, 'aoe.js'), 'serve', '--config', config], {
      encoding: 'utf8',
      env: { ...process.env, AOEKIT_LOG_LEVEL: 'loud' },
    });
    expect(bad.status).toBe(2);
    expect(expectOneLineError({ code: 2, stdout: '', stderr: bad.stderr })[0]).toBe(
      "aoe serve: option '--log-level <level>' value 'loud' from env 'AOEKIT_LOG_LEVEL' is invalid. Allowed choices are trace, debug, info, warn, error, fatal, silent.",
    );
  });
});

describe('--mtu', () => {
  it('is refused by commands that do no I/O, with a line saying which ones take it (the host MTU stays as it is)', async () => {
    for (const argv of [['stat'], ['discover'], ['cfg', 'e1.1'], ['mask', 'e1.1'], ['reserve', 'e1.1']]) {
      const result = await run('aoe', [...argv, '--mtu', '9000']);
      expect(result.code, argv.join(' ')).toBe(2);
      const [message] = expectOneLineError(result);
      expect(message).toBe(
        `aoe: ${argv[0]} does not change NIC MTUs: --mtu is taken by copy, bench, nbd and probe-mtu only (or: ip link set dev NIC mtu N)`,
      );
    }
    const discover = await run('aoe-discover', ['--mtu', '9000']);
    expect(discover.code).toBe(2);
    expect(discover.stderr).toMatch(/aoe-discover does not change NIC MTUs/);
  });
});

describe('device names', () => {
  it('a bad device name is a usage error everywhere; copy suggests the aoe: prefix for a bare e1.1', async () => {
    for (const argv of [
      ['cfg', 'disk1'],
      ['mask', 'e1'],
      ['reserve', 'aoe:x1.1'],
      ['probe-mtu', 'e1.1.1'],
      ['bench', 'e70000.1'],
      ['nbd', 'sda'],
      ['copy', 'aoe:e1', '/tmp/out'],
    ]) {
      const result = await run('aoe', argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(expectOneLineError(result)[0], argv.join(' ')).toMatch(/bad device name '.*' \(expected eSHELF\.SLOT, e\.g\. e1\.1/);
    }
    const directory = temporaryDirectory();
    const result = await run('aoe', ['copy', 'e1.1', path.join(directory, 'out.img')]);
    expect(result.code).toBe(2);
    expect(expectOneLineError(result)[0]).toBe(
      'aoe: one of SRC and DST must be an AoE device (aoe:e1.1): did you mean aoe:e1.1? (copy needs the prefix to tell devices from files)',
    );
  });
});

describe('--metrics-listen', () => {
  it('a malformed address is a usage error', async () => {
    const result = await run('aoeblade', ['--metrics-listen', 'localhost', '1', '1', 'eth9', 'ram:1M']);
    expect(result.code).toBe(2);
    expect(expectOneLineError(result)[0]).toBe("aoeblade: --metrics-listen must be HOST:PORT, [IPv6]:PORT or PORT, got 'localhost'");
  });

  it('a port in use stops aoeblade at start-up: one line, exit 1, its control socket removed, no NIC opened', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as net.AddressInfo).port;
    const directory = temporaryDirectory();
    const socket = path.join(directory, 'control.sock');
    const started = Date.now();
    // 'nonexistent0' would fail the start too, later: the metrics port is taken before any NIC is opened.
    const result = await run('aoeblade', [
      '--metrics-listen',
      `127.0.0.1:${port}`,
      '--control-socket',
      socket,
      '--state-dir',
      path.join(directory, 'state'),
      '1',
      '1',
      'nonexistent0',
      'ram:1M',
    ]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(1);
    expect(expectOneLineError(result)).toEqual([
      `aoeblade: cannot listen for metrics on 127.0.0.1:${port}: the address is in use (EADDRINUSE)`,
    ]);
    expect(fs.readdirSync(directory)).toEqual([]);
  });

  it('aoe nbd binds its metrics port before opening NICs or the device: a port in use is one line, exit 1, no NBD socket', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as net.AddressInfo).port;
    const directory = temporaryDirectory();
    const result = await run('aoe', [
      'nbd',
      'e1.1',
      '-i',
      'nonexistent0',
      '--socket',
      path.join(directory, 'nbd.sock'),
      '--metrics-listen',
      `${port}`,
    ]);
    expect(result.code).toBe(1);
    expect(expectOneLineError(result)).toEqual([`aoe: cannot listen for metrics on 127.0.0.1:${port}: the address is in use (EADDRINUSE)`]);
    expect(fs.readdirSync(directory)).toEqual([]);
  });
});
