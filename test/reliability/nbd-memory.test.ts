// Scenario 10: NBD clients that never read their replies: bounded server RSS, other clients answered, closed connections cancelled.

// The server runs in a child process (test/reliability/nbd-server-child.mjs, from dist/: needs `npm run build:ts`).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Command } from '../../src/nbd/protocol.js';
import { recordFigures } from '../../tools/reliability/figures.js';
import { RawClient } from '../nbd/raw-client.js';

const MiB = 1024 * 1024;
const CHILD = fileURLToPath(new URL('./nbd-server-child.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/nbd/index.js', import.meta.url));
/** The device serves one request at a time at this rate (a fast disk or a 2 Gbit/s link). */
const DEVICE_RATE = 256 * MiB;
const DEVICE_SIZE = 64 * MiB;
const RSS_LIMIT = 300 * MiB;
const LATENCY_LIMIT_MS = 1000;

interface ChildStats {
  rss: number;
  maxRss: number;
  deviceBytesRead: number;
  bytesInFlight?: number;
  cancelledChunks?: number;
}

class ServerChild {
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;

  private constructor(readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      this.waiter?.();
    });
  }

  static async start(socket: string, limits: Record<string, number> = {}): Promise<ServerChild> {
    if (!fs.existsSync(DIST)) throw new Error(`${DIST} missing: run npm run build:ts first`);
    const child = spawn(process.execPath, [CHILD, socket, String(DEVICE_SIZE), String(DEVICE_RATE), JSON.stringify(limits)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const server = new ServerChild(child);
    if ((await server.line()) !== 'ready') throw new Error('the NBD server child did not start');
    return server;
  }

  async stats(): Promise<ChildStats> {
    this.child.stdin!.write('stats\n');
    return JSON.parse(await this.line()) as ChildStats;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private async line(): Promise<string> {
    const until = Date.now() + 10_000;
    while (this.lines.length === 0) {
      if (this.child.exitCode !== null || Date.now() > until) throw new Error('no answer from the NBD server child');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 100);
      });
    }
    return this.lines.shift() as string;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds until a 512-byte READ is answered (Infinity after 5 s). */
async function timedRead(client: RawClient, cookie: number): Promise<number> {
  const started = performance.now();
  client.sendRequest(Command.Read, cookie, 0, 512);
  const answered = client
    .reply(() => 512)
    .then((reply) => (reply.error === 0 && reply.cookie === cookie ? performance.now() - started : Infinity));
  return Promise.race([answered, sleep(5000).then(() => Infinity)]);
}

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('NBD clients that never read their replies', () => {
  it("an NBD client that never reads its replies cannot push RSS past the limit, nor delay another client's read past 1 s, and its queued requests are dropped when it closes", async () => {
    const socket = path.join(tmpdir(), `aoekit-nbd-memory-${process.pid}.sock`);
    const server = await ServerChild.start(socket);
    cleanup.push(async () => {
      await server.stop();
      fs.rmSync(socket, { force: true });
    });
    const start = await server.stats();

    // Two connections each send 32 READs of 32 MiB and never read a byte of the replies.
    const abusers: RawClient[] = [];
    for (let index = 0; index < 2; index += 1) {
      const client = await RawClient.connect(socket);
      cleanup.push(() => client.close());
      await client.open('disk');
      client.socket.pause();
      for (let cookie = 1; cookie <= 32; cookie += 1) client.sendRequest(Command.Read, cookie, (cookie % 2) * 32 * MiB, 32 * MiB);
      abusers.push(client);
    }
    const good = await RawClient.connect(socket);
    cleanup.push(() => good.close());
    await good.open('disk');
    const latencies = [await timedRead(good, 1)];

    let peakRss = 0;
    let peakInFlight = 0;
    for (const until = Date.now() + 3000; Date.now() < until; await sleep(100)) {
      const stats = await server.stats();
      peakRss = Math.max(peakRss, stats.maxRss, stats.rss);
      peakInFlight = Math.max(peakInFlight, stats.bytesInFlight ?? 0);
    }
    latencies.push(await timedRead(good, 2));

    const beforeClose = await server.stats();
    for (const client of abusers) client.close();
    await sleep(300);
    latencies.push(await timedRead(good, 3));
    await sleep(1500);
    const end = await server.stats();
    peakRss = Math.max(peakRss, end.maxRss);
    const readAfterClose = end.deviceBytesRead - beforeClose.deviceBytesRead;

    recordFigures(
      10,
      'NBD clients that never read their replies',
      "Two connections each sending 32 READs of 32 MiB and never reading the replies keep the server's RSS under 300 MiB; another client's 512-byte read is answered within 1 s while they are connected and after they close; their requests the device had not started are never read.",
      {
        'server RSS at start (MiB)': Math.round(start.rss / MiB),
        'server peak RSS with 2 clients not reading (MiB)': Math.round(peakRss / MiB),
        'server RSS 1.5 s after they closed (MiB)': Math.round(end.rss / MiB),
        'bytes in flight at peak (MiB)': Math.round(peakInFlight / MiB),
        "other client's 512-byte read: right away / after 3 s / after they closed (ms)": latencies
          .map((ms) => (Number.isFinite(ms) ? ms.toFixed(1) : '>5000'))
          .join(' / '),
        'device bytes read after they closed (MiB)': Math.round(readAfterClose / MiB),
        'chunks dropped unissued': end.cancelledChunks ?? 0,
        'device rate (MiB/s)': DEVICE_RATE / MiB,
      },
    );
    expect(peakRss).toBeLessThan(RSS_LIMIT);
    for (const ms of latencies) expect(ms).toBeLessThan(LATENCY_LIMIT_MS);
    expect(end.rss).toBeLessThan(RSS_LIMIT);
    // What they had asked for and the server had not started (up to 2 GiB) is dropped: nothing of theirs was at the device.
    expect(readAfterClose).toBeLessThan(MiB);
    expect(end.bytesInFlight).toBe(0);
  }, 60_000);
});
