// Hand-off micro-benchmark for initiator workers (issue 13): SharedArrayBuffer slabs against transfer lists and clones, in one run.
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { waitAsync } from '../src/link/thread-link-protocol.js';
import { handoffMedians } from './handoff-report.js';
import {
  CALLER_BYTE,
  CONTROL_SLOTS,
  Control,
  FRAME_BYTE,
  HANDOFF_METHODS,
  type HandoffMethod,
  type HandoffRequest,
  type HandoffSetup,
} from './handoff-protocol.js';

export interface HandoffCase {
  method: HandoffMethod;
  size: number;
  depth: number;
  write: boolean;
}

export interface HandoffResult extends HandoffCase {
  operations: number;
  seconds: number;
  operationsPerSecond: number;
  megabytesPerSecond: number;
  /** Requests whose bytes did not arrive intact on the other side (must be 0). */
  mismatches: number;
  /** CPU microseconds per request, both threads together (process.cpuUsage). */
  cpuMicrosecondsPerOperation: number;
}

const WORKER = fileURLToPath(new URL('./handoff-worker.js', import.meta.url));

/**
 * Keeps `depth` requests of `size` bytes in flight for `seconds`. The caller's side copies a write's bytes from its own
 * buffer into the hand-off memory, and a read's bytes from there into its own buffer, as a device whose callers pass
 * ordinary Buffers must; the worker copies them to or from its frames. Only the way they cross differs.
 */
export async function runHandoffCase(spec: HandoffCase, seconds: number): Promise<HandoffResult> {
  const { method, size, depth, write } = spec;
  const slots = depth;
  const setup: HandoffSetup = { method, size, slots };
  if (method === 'sab-message' || method === 'sab-atomics') setup.slab = new SharedArrayBuffer(size * slots);
  let capacity = 1;
  while (capacity < slots) capacity *= 2;
  if (method === 'sab-atomics') setup.control = new SharedArrayBuffer(4 * (CONTROL_SLOTS + 2 * capacity));
  const worker = new Worker(WORKER, { workerData: setup });
  // One buffer of its own per request, as callers pass them (a view into a larger buffer would make `clone` copy all of it).
  const callers = Array.from({ length: slots }, () => Buffer.alloc(size, CALLER_BYTE));
  const slab = setup.slab === undefined ? undefined : Buffer.from(setup.slab);
  const buffers: Array<ArrayBuffer | undefined> = Array.from({ length: slots }, () =>
    method === 'transfer' ? new ArrayBuffer(size) : undefined,
  );
  let operations = 0;
  let mismatches = 0;
  let running = true;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const finished = new Promise<void>((done) => {
    const complete = (slot: number, bad: number, bytes?: Uint8Array): void => {
      mismatches += bad;
      if (!write) {
        const from =
          method === 'transfer'
            ? new Uint8Array(buffers[slot] as ArrayBuffer)
            : method === 'clone'
              ? (bytes as Uint8Array)
              : (slab as Buffer).subarray(slot * size, slot * size + size);
        const caller = callers[slot];
        caller.set(from);
        if (caller[0] !== FRAME_BYTE || caller[size - 1] !== FRAME_BYTE) mismatches += 1;
        caller[0] = caller[size - 1] = CALLER_BYTE; // the next read must bring the frame's bytes again
      }
      operations += 1;
      if (running) issue(slot);
      else if (--outstanding === 0) done();
    };
    let outstanding = slots;
    const control = setup.control === undefined ? undefined : new Int32Array(setup.control);
    const ring = control?.subarray(CONTROL_SLOTS);
    let completionHead = 0;
    const issue = (slot: number): void => {
      const source = callers[slot];
      if (method === 'sab-atomics') {
        if (write) (slab as Buffer).set(source, slot * size);
        const requests = control as Int32Array;
        const tail = Atomics.load(requests, Control.RequestTail);
        (ring as Int32Array)[tail & (capacity - 1)] = (slot << 1) | (write ? 1 : 0);
        Atomics.store(requests, Control.RequestTail, (tail + 1) | 0);
        Atomics.notify(requests, Control.RequestTail);
      } else if (method === 'sab-message') {
        if (write) (slab as Buffer).set(source, slot * size);
        worker.postMessage({ slot, write } satisfies HandoffRequest);
      } else if (method === 'transfer') {
        const buffer = buffers[slot] as ArrayBuffer;
        if (write) new Uint8Array(buffer).set(source);
        buffers[slot] = undefined;
        worker.postMessage({ slot, write, buffer } satisfies HandoffRequest, [buffer]);
      } else {
        worker.postMessage({ slot, write, bytes: write ? source : undefined } satisfies HandoffRequest);
      }
    };
    if (method === 'sab-atomics') {
      const words = control as Int32Array;
      const drain = (): void => {
        const tail = Atomics.load(words, Control.CompletionTail);
        for (; completionHead !== tail; completionHead = (completionHead + 1) | 0) {
          const value = (ring as Int32Array)[capacity + (completionHead & (capacity - 1))];
          complete(value >> 1, value & 1);
        }
        if (outstanding === 0) return;
        const wait = waitAsync(words, Control.CompletionTail, tail);
        if (wait.async) void wait.value.then(drain);
        else queueMicrotask(drain); // completions came in meanwhile
      };
      drain();
    } else {
      worker.on('message', (message: number | { slot: number; bad: number; buffer?: ArrayBuffer; bytes?: Uint8Array }) => {
        if (typeof message === 'number') return complete(message >> 1, message & 1);
        if (message.buffer !== undefined) buffers[message.slot] = message.buffer;
        complete(message.slot, message.bad, message.bytes);
      });
    }
    for (let slot = 0; slot < slots; slot++) issue(slot);
    setTimeout(() => {
      running = false;
    }, seconds * 1000);
  });
  await finished;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  if (setup.control !== undefined) {
    const words = new Int32Array(setup.control);
    Atomics.store(words, Control.Stop, 1);
    Atomics.notify(words, Control.RequestTail);
  }
  await worker.terminate();
  return {
    ...spec,
    operations,
    mismatches,
    seconds: elapsed,
    operationsPerSecond: operations / elapsed,
    megabytesPerSecond: (operations * size) / elapsed / 1e6,
    cpuMicrosecondsPerOperation: (cpu.user + cpu.system) / operations,
  };
}

/** Every method for each size, direction and depth, interleaved per round so that drifting machine speed hits all alike. */
export async function runHandoff(
  seconds: number,
  rounds: number,
  sizes = [4096, 65536, 1048576],
  depths = [1, 32],
): Promise<HandoffResult[][]> {
  const cases: HandoffCase[] = [];
  for (const size of sizes)
    for (const write of [true, false])
      for (const depth of depths) for (const method of HANDOFF_METHODS) cases.push({ method, size, depth, write });
  const results: HandoffResult[][] = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < cases.length; index++) results[index].push(await runHandoffCase(cases[index], seconds));
  }
  return results;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const seconds = Number(argv[argv.indexOf('--seconds') + 1] ?? 1) || 1;
  const rounds = Number(argv[argv.indexOf('--rounds') + 1] ?? 3) || 3;
  const all = await runHandoff(seconds, rounds);
  const rows = handoffMedians(all);
  if (json) {
    process.stdout.write(`${JSON.stringify({ seconds, rounds, rows })}\n`);
    return;
  }
  process.stdout.write(`hand-off between a caller thread and one worker: medians of ${rounds} rounds x ${seconds} s\n`);
  process.stdout.write('size     dir   depth  method        ops/s      MB/s   CPU us/op  x sab-message ops/s\n');
  for (const row of rows) {
    const base = rows.find(
      (other) => other.size === row.size && other.write === row.write && other.depth === row.depth && other.method === 'sab-message',
    );
    process.stdout.write(
      `${String(row.size).padEnd(8)} ${(row.write ? 'write' : 'read').padEnd(5)} ${String(row.depth).padStart(5)}  ${row.method.padEnd(12)} ${row.operationsPerSecond.toFixed(0).padStart(8)} ${row.megabytesPerSecond.toFixed(0).padStart(9)} ${row.cpuMicrosecondsPerOperation.toFixed(2).padStart(10)}  ${(row.operationsPerSecond / (base?.operationsPerSecond ?? Number.NaN)).toFixed(2)}\n`,
    );
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void main();
}
