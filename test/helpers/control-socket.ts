// Shared rig of the control-socket suites: socket paths in the temp directory, a control socket over fake stats, clients; all removed after each test.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { openControlSocket, type ControlSocket } from '../../src/blade/control-socket.js';
import type { TargetStats } from '../../src/blade/stats.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** Run `step` after the current test. */
export function afterThisTest(step: () => Promise<void> | void): void {
  cleanup.push(step);
}

let counter = 0;
export function socketPath(): string {
  const file = path.join(os.tmpdir(), `aoekit-control-${process.pid}-${counter++}.sock`);
  cleanup.push(() => fs.rmSync(file, { force: true }));
  return file;
}

/** Stats of about 2 KB, like a target with a few NICs; counts how often it was asked. */
export function fakeStats() {
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

export async function open(file: string, stats: () => TargetStats): Promise<ControlSocket> {
  const control = await openControlSocket(file, stats);
  cleanup.push(() => control.close());
  return control;
}

export function connect(file: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(file, () => resolve(socket));
    socket.once('error', reject);
    cleanup.push(() => {
      socket.destroy();
    });
  });
}
