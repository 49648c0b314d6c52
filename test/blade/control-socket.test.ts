// The control socket: answers after a half close, a path that is a regular file, a stale socket or one in use.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openControlSocket, type ControlSocket } from '../../src/blade/control-socket.js';
import type { TargetStats } from '../../src/blade/stats.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

let counter = 0;
function socketPath(): string {
  const file = path.join(os.tmpdir(), `aoekit-control-${process.pid}-${counter++}.sock`);
  cleanup.push(() => fs.rmSync(file, { force: true }));
  return file;
}

/** Stats of about 2 KB, like a target with a few NICs. */
function fakeStats() {
  const counted = { calls: 0 };
  const nics = Array.from({ length: 8 }, (_, index) => ({
    name: `eth${index}`,
    framesIn: 123456789,
    framesOut: 987654321,
    bytesIn: 1e12,
    bytesOut: 2e12,
    malformed: 0,
    dropped: 0,
  }));
  const stats = () => {
    counted.calls += 1;
    return { time: new Date().toISOString(), uptimeSeconds: 1, exports: [], nics } as unknown as TargetStats;
  };
  return { counted, stats };
}

async function open(file: string, stats: () => TargetStats): Promise<ControlSocket> {
  const control = await openControlSocket(file, stats);
  cleanup.push(() => control.close());
  return control;
}

function connect(file: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(file, () => resolve(socket));
    socket.once('error', reject);
    cleanup.push(() => {
      socket.destroy();
    });
  });
}

describe('control socket', () => {
  it('a control-socket peer that sends its requests and shuts down its side gets every answer, then the connection ends', async () => {
    const file = socketPath();
    await open(file, fakeStats().stats);
    const client = await connect(file);
    let text = '';
    client.setEncoding('utf8');
    client.on('data', (chunk: string) => {
      text += chunk;
    });
    const ended = new Promise((resolve) => client.once('end', resolve));
    client.end(`${'{"cmd":"ping"}\n'.repeat(20_000)}{"cmd":"ping"}`);
    await ended;
    expect(text.split('\n').filter(Boolean)).toHaveLength(20_001);
  });

  it('a control-socket path that is a regular file is refused with EEXIST and left alone; a stale socket is replaced; a live one is refused', async () => {
    const file = socketPath();
    fs.writeFileSync(file, 'precious');
    await expect(openControlSocket(file, fakeStats().stats)).rejects.toMatchObject({
      code: 'EEXIST',
      message: expect.stringContaining('not a socket'),
    });
    expect(fs.readFileSync(file, 'utf8')).toBe('precious');
    const live = socketPath();
    await open(live, fakeStats().stats);
    await expect(openControlSocket(live, fakeStats().stats)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    // A socket file nobody listens on (left by a killed run) is replaced.
    const stale = socketPath();
    execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', stale]);
    expect(fs.lstatSync(stale).isSocket()).toBe(true);
    await open(stale, fakeStats().stats);
    const client = await connect(stale);
    client.write('{"cmd":"ping"}\n');
    expect(await new Promise((resolve) => client.once('data', (chunk) => resolve(String(chunk))))).toBe('{"ok":true}\n');
  });
});
