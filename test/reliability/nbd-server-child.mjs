// Child process for the NBD memory test: an NbdServer (dist/) over a rate-limited RAM device; answers 'stats' lines on stdin.
import readline from 'node:readline';
import { NbdServer } from '../../dist/nbd/index.js';

const [socketPath, sizeText, rateText, limitsText] = process.argv.slice(2);

class RatedDevice {
  constructor(size, bytesPerSecond) {
    this.data = Buffer.alloc(size);
    this.size = size;
    this.bytesPerSecond = bytesPerSecond;
    this.tail = Promise.resolve();
    this.bytesRead = 0;
  }

  /** FIFO: each transfer waits for the previous one, then takes length / rate. */
  transfer(length, work) {
    const run = this.tail.then(() => new Promise((resolve) => {
      const ms = (length / this.bytesPerSecond) * 1000;
      const done = () => { work(); resolve(); };
      if (ms < 1) setImmediate(done); else setTimeout(done, ms);
    }));
    this.tail = run;
    return run;
  }

  readInto(buffer, offset) {
    return this.transfer(buffer.length, () => { buffer.set(this.data.subarray(offset, offset + buffer.length)); this.bytesRead += buffer.length; });
  }

  write(offset, data) {
    return this.transfer(data.length, () => this.data.set(data, offset));
  }

  flush() {
    return Promise.resolve();
  }
}

const device = new RatedDevice(Number(sizeText), Number(rateText));
const server = new NbdServer({ device, name: 'disk', ...JSON.parse(limitsText ?? '{}') });
await server.listen({ socket: socketPath });
process.stdout.write('ready\n');
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stats') return;
  const usage = process.memoryUsage();
  const server_ = typeof server.stats === 'function' ? server.stats() : {};
  process.stdout.write(`${JSON.stringify({ rss: usage.rss, maxRss: process.resourceUsage().maxRSS * 1024, arrayBuffers: usage.arrayBuffers, deviceBytesRead: device.bytesRead, ...server_ })}\n`);
}).on('close', () => { void server.close(0).then(() => process.exit(0)); });
