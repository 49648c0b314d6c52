// Worker-thread side of the transport benchmark: sends sequenced AoE frames as fast as the window allows, from the start signal to the stop signal.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { openPacketLink } from '../src/link/packet-link.js';

/** Int32 slots of the SharedArrayBuffer shared with the receiver (main thread). */
export const Control = { received: 0, stop: 1, ready: 2, start: 3, length: 4 } as const;

export interface SenderSetup {
  netns: string | undefined;
  ifname: string;
  destinationMac: number;
  frameSize: number;
  batchSize: number;
  window: number;
  /** Wait for receiver progress (at most 1 ms) after the kernel refused frames, instead of retrying at once. */
  backOffWhenBlocked: boolean;
  control: SharedArrayBuffer;
}

export interface SenderReport {
  sent: number;
  elapsedMs: number;
  sendBlocked: number;
}

const AOE_ETHERTYPE = 0x88a2;
const SEQUENCE_OFFSET = 24;

async function runSender(setup: SenderSetup): Promise<SenderReport> {
  const control = new Int32Array(setup.control);
  const link = await openPacketLink(setup.ifname, { netns: setup.netns, receiveBufferBytes: 0 });
  const frames: Buffer[] = [];
  for (let i = 0; i < setup.batchSize; i++) {
    const frame = Buffer.alloc(setup.frameSize);
    frame.writeUIntBE(setup.destinationMac, 0, 6);
    frame.writeUIntBE(link.mac, 6, 6);
    frame.writeUInt16BE(AOE_ETHERTYPE, 12);
    frame[14] = 0x10; // AoE version 1, request
    for (let j = SEQUENCE_OFFSET + 4; j < frame.length; j++) frame[j] = j & 0xff;
    frames.push(frame);
  }
  const lengths = new Uint32Array(setup.batchSize).fill(setup.frameSize);
  let sent = 0;
  Atomics.store(control, Control.ready, 1);
  while (Atomics.load(control, Control.start) === 0 && Atomics.load(control, Control.stop) === 0)
    Atomics.wait(control, Control.start, 0, 50);
  const started = performance.now();
  while (Atomics.load(control, Control.stop) === 0) {
    const receivedSnapshot = Atomics.load(control, Control.received);
    const inFlight = ((sent | 0) - receivedSnapshot) | 0;
    const room = Math.min(setup.batchSize, setup.window - inFlight);
    if (room <= 0) {
      Atomics.wait(control, Control.received, receivedSnapshot, 1);
      continue;
    }
    for (let i = 0; i < room; i++) frames[i].writeUInt32BE((sent + i) >>> 0, SEQUENCE_OFFSET);
    const accepted = link.send(frames, lengths, room);
    sent += accepted;
    // The kernel refused the rest (a full tbf queue answers ENOBUFS): wait for the receiver to see progress instead of
    // spinning on refusals, which on a shaped link burns a core per sender and makes the ceiling CPU-bound.
    if (accepted < room && setup.backOffWhenBlocked) Atomics.wait(control, Control.received, Atomics.load(control, Control.received), 1);
  }
  const elapsedMs = performance.now() - started;
  const sendBlocked = link.stats().sendBlocked;
  await link.close();
  return { sent, elapsedMs, sendBlocked };
}

if (!isMainThread && parentPort !== null && (workerData as SenderSetup | undefined)?.control !== undefined) {
  const port = parentPort;
  runSender(workerData as SenderSetup).then(
    (report) => port.postMessage(report),
    (error: unknown) => {
      throw error;
    },
  );
}
