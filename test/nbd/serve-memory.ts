// NBD server tests' fixture: an NbdServer over a RAM device on a fresh unix socket, raw clients to it, everything closed after each test.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { type MemoryBlockDevice, NbdServer, type NbdServerOptions } from '../../src/nbd/index.js';
import { RawClient } from './raw-client.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

let socketCounter = 0;

/** Serve `device` (name 'disk' unless given); `connect()` opens a raw client that is closed after the test. */
export async function serveDevice(device: MemoryBlockDevice, options: Omit<NbdServerOptions, 'device'> = {}) {
  const server = new NbdServer({ device, name: 'disk', ...options });
  const socket = join(tmpdir(), `aoekit-nbd-${process.pid}-${socketCounter++}.sock`);
  await server.listen({ socket });
  cleanup.push(async () => {
    await server.close(100);
    rmSync(socket, { force: true });
  });
  const connect = async () => {
    const client = await RawClient.connect(socket);
    cleanup.push(() => client.close());
    return client;
  };
  return { device, server, socket, connect };
}
