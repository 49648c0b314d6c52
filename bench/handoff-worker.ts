// Worker side of the hand-off micro-benchmark: takes requests by each method, copies their bytes as a data path would, answers.
import { parentPort, workerData } from 'node:worker_threads';
import type { HandoffSetup, HandoffRequest } from './handoff-protocol.js';
import { CALLER_BYTE, CONTROL_SLOTS, Control, FRAME_BYTE } from './handoff-protocol.js';

const setup = workerData as HandoffSetup;
const port = parentPort as NonNullable<typeof parentPort>;
/** Stands for the frames a data path builds from (writes) or reads into (reads): every method copies through it once. */
const frames = Buffer.alloc(setup.size, FRAME_BYTE);
const slab = setup.slab === undefined ? undefined : Buffer.from(setup.slab);

/**
 * Write: the request's bytes go to the frames. Read: the frames' bytes go to the request's memory. Returns 1 when a
 * write's bytes were not the caller's (the hand-off lost them), else 0.
 */
function serve(memory: Uint8Array, offset: number, write: boolean): number {
  if (!write) {
    memory.set(frames, offset);
    return 0;
  }
  frames.set(memory.subarray(offset, offset + setup.size));
  const bad = frames[0] !== CALLER_BYTE || frames[setup.size - 1] !== CALLER_BYTE ? 1 : 0;
  frames.fill(FRAME_BYTE, 0, 1);
  frames.fill(FRAME_BYTE, setup.size - 1);
  return bad;
}

if (setup.method === 'sab-atomics') {
  const control = new Int32Array(setup.control as SharedArrayBuffer);
  const ring = control.subarray(CONTROL_SLOTS);
  const capacity = ring.length / 2;
  let head = 0;
  for (;;) {
    while (Atomics.load(control, Control.RequestTail) === head) {
      if (Atomics.load(control, Control.Stop) !== 0) process.exit(0);
      Atomics.wait(control, Control.RequestTail, head, 100);
    }
    const tail = Atomics.load(control, Control.RequestTail);
    for (; head !== tail; head = (head + 1) | 0) {
      const slot = ring[head & (capacity - 1)];
      const bad = serve(slab as Buffer, (slot >> 1) * setup.size, (slot & 1) === 1);
      const done = Atomics.load(control, Control.CompletionTail);
      ring[capacity + (done & (capacity - 1))] = ((slot >> 1) << 1) | bad;
      Atomics.store(control, Control.CompletionTail, (done + 1) | 0);
    }
    Atomics.notify(control, Control.CompletionTail);
  }
} else {
  port.on('message', (request: HandoffRequest) => {
    if (setup.method === 'sab-message') {
      const bad = serve(slab as Buffer, request.slot * setup.size, request.write);
      port.postMessage(request.slot * 2 + bad);
    } else if (setup.method === 'transfer') {
      const memory = new Uint8Array(request.buffer as ArrayBuffer);
      const bad = serve(memory, 0, request.write);
      port.postMessage({ slot: request.slot, buffer: request.buffer, bad }, [request.buffer as ArrayBuffer]);
    } else {
      // clone: the request's bytes arrived as a copy; a read answers with a copy of the frames.
      const bad = request.write ? serve(request.bytes as Uint8Array, 0, true) : 0;
      port.postMessage({ slot: request.slot, bytes: request.write ? undefined : frames, bad });
    }
  });
}
