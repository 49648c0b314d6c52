// The link's own thread: owns one PacketLink, sends what the caller's thread queued in the TX ring, fills the RX ring.
import { parentPort, workerData } from 'node:worker_threads';
import type { LinkStats } from './link.js';
import { openPacketLink, type PacketLink } from './packet-link.js';
import {
  COUNTER_COUNT,
  Counter,
  type LinkThreadCommand,
  type LinkThreadMessage,
  type LinkThreadSetup,
  FRAME_SHIFT,
  MAX_TX_AGE_MS,
  RING_MASK,
  RING_SLOTS,
  sharedClock,
  waitAsync,
  Word,
} from './thread-link-protocol.js';

const setup = workerData as LinkThreadSetup;
const port = parentPort as NonNullable<typeof parentPort>;
const post = (message: LinkThreadMessage): void => port.postMessage(message);

const control = new Int32Array(setup.control);
const counters = new Float64Array(setup.counters);
const slotSize = setup.slotSize;
const tx = Buffer.from(setup.tx);
const txLengths = new Uint32Array(setup.txLengths);
const txStamps = new Float64Array(setup.txStamps);
const rx = Buffer.from(setup.rx);
const rxLengths = new Uint32Array(setup.rxLengths);
/** sendSlab's arguments for one run of TX slots (made once). */
const sendOffsets = new Uint32Array(RING_SLOTS);
const sendLengths = new Uint32Array(RING_SLOTS);
/** Refused frames are retried this often until they are too old. */
const RETRY_MS = 1;

let link: PacketLink;
let ringDrops = 0;
let staleDrops = 0;
/** Counted here per batch; what only the socket knows (refusals, errors, kernel drops) is read every 250 ms. */
let framesIn = 0;
let bytesIn = 0;
let batchesIn = 0;
let framesOut = 0;
let bytesOut = 0;
let stopped = false;

/** The counters this thread keeps itself: cheap enough for every batch. */
function publishCounters(): void {
  counters[Counter.framesIn] = framesIn;
  counters[Counter.bytesIn] = bytesIn;
  counters[Counter.framesOut] = framesOut;
  counters[Counter.bytesOut] = bytesOut;
  counters[Counter.batchesIn] = batchesIn;
  counters[Counter.ringDrops] = ringDrops;
  counters[Counter.staleDrops] = staleDrops;
}

/** Every 250 ms: also what the socket counts (its stats() re-reads the NIC, too costly per batch). */
function publishSocketCounters(): void {
  const stats: LinkStats = link.stats();
  counters[Counter.sendBlocked] = stats.sendBlocked;
  counters[Counter.sendErrors] = stats.sendErrors;
  counters[Counter.kernelDrops] = stats.kernelDrops;
  publishCounters();
}

/** Copy a received batch into the RX ring (dropping what does not fit) and wake the caller's thread. */
function receive(slab: Buffer, batchSlotSize: number, lengths: Uint32Array, count: number): void {
  const head = Atomics.load(control, Word.RxHead);
  let tail = Atomics.load(control, Word.RxTail);
  for (let index = 0; index < count; index++) {
    const length = lengths[index];
    if (((tail - head) | 0) >= RING_SLOTS || length > slotSize) {
      ringDrops += 1;
      continue;
    }
    const slot = tail & RING_MASK;
    const from = index * batchSlotSize;
    slab.copy(rx, slot * slotSize + FRAME_SHIFT, from, from + length);
    rxLengths[slot] = length;
    tail = (tail + 1) | 0;
    framesIn += 1;
    bytesIn += length;
  }
  batchesIn += 1;
  Atomics.store(control, Word.RxTail, tail);
  Atomics.notify(control, Word.RxTail);
  publishCounters();
}

/** Send every queued frame young enough, in order; wait for more, or retry shortly when the kernel refuses some. */
function pumpSend(): void {
  if (stopped || Atomics.load(control, Word.Stop) !== 0) return;
  const tail = Atomics.load(control, Word.TxTail);
  let head = Atomics.load(control, Word.TxHead);
  const now = sharedClock();
  while (head !== tail) {
    // Frames too old to send are dropped from the front: RACK or the RTO resends them, with fresh state.
    if (now - txStamps[head & RING_MASK] > MAX_TX_AGE_MS) {
      staleDrops += 1;
      head = (head + 1) | 0;
      continue;
    }
    const start = head & RING_MASK;
    const count = Math.min((tail - head) | 0, RING_SLOTS - start);
    for (let index = 0; index < count; index++) {
      sendOffsets[index] = (start + index) * slotSize + FRAME_SHIFT;
      sendLengths[index] = txLengths[start + index];
    }
    const sent = link.sendSlab(tx, sendOffsets, sendLengths, count);
    for (let index = 0; index < sent; index++) bytesOut += sendLengths[index];
    framesOut += sent;
    head = (head + sent) | 0;
    if (sent < count) {
      Atomics.store(control, Word.TxHead, head);
      publishCounters();
      setTimeout(pumpSend, RETRY_MS);
      return;
    }
  }
  Atomics.store(control, Word.TxHead, head);
  publishCounters();
  const wait = waitAsync(control, Word.TxTail, tail);
  if (wait.async) void wait.value.then(pumpSend);
  else setImmediate(pumpSend); // more frames came in meanwhile
}

async function close(): Promise<void> {
  if (stopped) return;
  stopped = true;
  clearInterval(timer);
  await link.close();
  post({ type: 'closed' });
  port.close();
}

let timer: NodeJS.Timeout | undefined;

async function main(): Promise<void> {
  try {
    // Received frames at the same alignment as in the RX ring, so the copy between them runs word by word.
    link = await openPacketLink(setup.name, { netns: setup.netns, filter: setup.filter, slabShift: FRAME_SHIFT });
  } catch (error) {
    post({ type: 'open-failed', message: (error as Error).message, code: (error as NodeJS.ErrnoException).code });
    port.close();
    return;
  }
  link.on('state', (state) => post({ type: 'state', state }));
  link.on('mtu', (mtu: number) => post({ type: 'mtu', mtu }));
  link.on('error', (error: NodeJS.ErrnoException) => post({ type: 'error', message: error.message, code: error.code }));
  port.on('message', (command: LinkThreadCommand) => {
    if (command.type === 'close') void close();
  });
  timer = setInterval(publishSocketCounters, 250);
  link.onFrames(receive);
  publishSocketCounters();
  post({ type: 'ready', mac: link.mac, mtu: link.mtu, state: link.state });
  pumpSend();
}

if (counters.length !== COUNTER_COUNT) throw new Error('link thread: counter layout mismatch');
void main();
