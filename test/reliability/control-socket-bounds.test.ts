import { describe, expect, it } from 'vitest';
import { recordFigures } from '../../tools/reliability/figures.js';
import { connect, fakeStats, open, socketPath } from '../helpers/control-socket.js';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
describe('control socket bounds', () => {
  it("a control-socket peer that never reads its answers cannot grow the server's memory: it is not read any further", async () => {
    const file = socketPath();
    const { counted, stats } = fakeStats();
    const control = await open(file, stats);
    const requests = 200_000;
    const client = await connect(file);
    client.pause();
    const before = process.memoryUsage.rss();
    client.write(Buffer.from('{"cmd":"stats"}\n'.repeat(requests)));
    await sleep(1500);
    // Answers are strings written to the socket: they would sit in the V8 heap, so look at the whole process.
    const grownBytes = process.memoryUsage.rss() - before;
    recordFigures(
      11,
      'control socket peers that never read',
      'A peer writing 200,000 {"cmd":"stats"} lines and never reading is paused once its unread answers fill the socket: the server answers only what fits and buffers a few hundred KiB, not hundreds of MiB.',
      {
        'requests written': requests,
        'requests answered while the peer did not read': counted.calls,
        'answer bytes buffered by the server (KiB)': Math.round(control.bufferedBytes / 1024),
        'test process RSS grown (MiB; client and server share it, 3.2 MB are the requests)': (grownBytes / MiB).toFixed(1),
      },
    );
    expect(counted.calls).toBeLessThan(2000);
    expect(control.bufferedBytes).toBeLessThan(MiB);
    expect(grownBytes).toBeLessThan(64 * MiB);
    // It is served again as soon as it reads.
    let answered = 0;
    client.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 0x0a) answered += 1;
    });
    client.resume();
    for (const until = Date.now() + 20_000; answered < 10_000 && Date.now() < until; ) await sleep(20);
    expect(answered).toBeGreaterThanOrEqual(10_000);
  }, 60_000);

  it('control-socket connections past 16 are closed at once; the others are answered', async () => {
    const file = socketPath();
    const control = await open(file, fakeStats().stats);
    const clients = await Promise.all(Array.from({ length: 20 }, () => connect(file)));
    const outcomes = await Promise.all(
      clients.map(
        (client) =>
          new Promise<string>((resolve) => {
            client.once('data', () => resolve('answered'));
            client.once('close', () => resolve('closed'));
            client.write('{"cmd":"ping"}\n');
          }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 'answered')).toHaveLength(16);
    expect(outcomes.filter((outcome) => outcome === 'closed')).toHaveLength(4);
    expect(control.connections).toBe(16);
  });
});
