// `aoe stats` against a target's control socket (a target on a MemoryHub in this process): table, JSON, --watch with rates, errors.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requestTargetStats } from '../../src/blade/control-client.js';
import { ataFrame } from '../blade/aoe-test-client.js';
import { INITIATOR_MAC, TARGET_MAC, startFixture, type Fixture } from '../blade/fixture.js';
import { DIST_CLI, expectOneLineError, run } from './run.js';

let fixture: Fixture | undefined;
const cleanup: Array<() => void> = [];
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
  for (const step of cleanup.splice(0)) step();
});

function socketPath(): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'aoekit-stats-'));
  cleanup.push(() => fs.rmSync(directory, { recursive: true, force: true }));
  return path.join(directory, 'control.sock');
}

const base = { source: INITIATOR_MAC, destination: TARGET_MAC, shelf: 1, slot: 2 };

async function readSome(count: number): Promise<void> {
  for (let tag = 1; tag <= count; tag++)
    await fixture?.initiator.request(ataFrame({ ...base, tag, sectorCount: 2, ataCommand: 0x20, lba: tag * 2 }));
}

describe('aoe stats', () => {
  it('prints the per-export and per-NIC tables, and --json the stats object, from the control socket', async () => {
    const socket = socketPath();
    fixture = await startFixture({ targetOptions: { controlSocket: socket } });
    await readSome(4);
    expect((await requestTargetStats(socket)).exports[0].bytesRead).toBe(4096);
    const table = await run('aoe', ['stats', '--socket', socket]);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^aoeblade up \d+ s, at \d{4}-/);
    expect(lines[1]).toMatch(
      /^EXPORT +SIZE +READ +WRITTEN +READS +WRITES +FLUSHES +ERR AOE\/ATA\/IO +DENIED MASK\/RESV +IN FLIGHT +LAT ms$/,
    );
    expect(lines[2]).toMatch(/^e1\.2 +1\.0M +4\.0K +0 +4 +0 +0 +0\/0\/0 +0\/0 +0 +\d+\.\d{3}$/);
    expect(table.stdout).toMatch(
      /\nNIC +STATE +MTU +FRAMES IN +FRAMES OUT +BYTES IN +BYTES OUT +IGNORED +DROPPED +SEND RETRIES\nt0 +up +1500 +4 +4 /,
    );
    const json = await run('aoe', ['stats', '--socket', socket, '--json']);
    expect(json.code).toBe(0);
    const stats = JSON.parse(json.stdout);
    expect(stats.exports[0]).toMatchObject({ target: 'e1.2', readCommands: 4, bytesRead: 4096 });
    expect(stats.nics[0]).toMatchObject({ name: 't0', framesIn: 4 });
  });

  it('--watch redraws every SEC seconds with rates since the last draw, and stops with exit 0 on SIGINT', async () => {
    const socket = socketPath();
    fixture = await startFixture({ targetOptions: { controlSocket: socket } });
    const child = spawn(process.execPath, [path.join(DIST_CLI, 'aoe.js'), 'stats', '--socket', socket, '--watch', '0.3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanup.push(() => child.exitCode === null && child.kill('SIGKILL'));
    const deadline = Date.now() + 10_000;
    while ((output.match(/^aoeblade up/gm) ?? []).length < 1 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    await readSome(20);
    while ((output.match(/rates over/g) ?? []).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const draws = output.split(/(?=^aoeblade up)/m);
    expect(draws[0]).not.toMatch(/READ MB\/s/); // the first draw has nothing to compare with
    expect(draws[1]).toMatch(/rates over 0\.\d s/);
    expect(draws[1]).toMatch(/EXPORT .* READ MB\/s +WRITE MB\/s +IOPS +LAT ms\n/);
    expect(draws[1]).toMatch(/NIC .* IN MB\/s +OUT MB\/s\n/);
  });

  it('--watch --json: one line per interval, with rates from the second on', async () => {
    const socket = socketPath();
    fixture = await startFixture({ targetOptions: { controlSocket: socket } });
    const child = spawn(process.execPath, [path.join(DIST_CLI, 'aoe.js'), 'stats', '--socket', socket, '--watch', '0.2', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanup.push(() => child.exitCode === null && child.kill('SIGKILL'));
    const deadline = Date.now() + 10_000;
    while (output.split('\n').length < 3 && Date.now() < deadline) {
      await readSome(2);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const [first, second] = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(first.rates).toBeNull();
    expect(second.rates.exports['e1.2'].readBytesPerSecond).toBeGreaterThan(0);
    expect(second.rates.nics.t0.framesInPerSecond).toBeGreaterThan(0);
  });

  it('no control socket: one line saying how to start aoeblade with one (exit 1); a bad --watch is a usage error', async () => {
    const socket = socketPath();
    const missing = await run('aoe', ['stats', '--socket', socket]);
    expect(missing.code).toBe(1);
    expect(expectOneLineError(missing)).toEqual([
      `aoe: no control socket at ${socket} (start aoeblade with --control-socket ${socket}) (ENOENT)`,
    ]);
    const watch = await run('aoe', ['stats', '--socket', socket, '--watch', 'often']);
    expect(watch.code).toBe(2);
    expect(expectOneLineError(watch)[0]).toBe("aoe: --watch must be a number of seconds in [0.1, 3600], got 'often'");
  });
});
