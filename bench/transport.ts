// Raw transport benchmark: one-way frames/s between two PacketLinks (sender in a worker thread), with flow control.
import { Worker } from 'node:worker_threads';
import type { Lab } from '../tools/lab/netlab.js';
import { openPacketLink } from '../src/link/packet-link.js';
import { selfCpuSeconds } from './cpu.js';
import { Control, type SenderReport, type SenderSetup } from './transport-sender.js';

export interface TransportEndpoint {
  /** Network namespace under /run/netns (undefined = the current one). */
  netns?: string;
  ifname: string;
}

export interface TransportOptions {
  /** Take both ends from a lab link: sender = initiator side, receiver = target side. */
  lab?: Lab;
  linkIndex?: number;
  /** Or name them explicitly (these win over `lab`). */
  sender?: TransportEndpoint;
  receiver?: TransportEndpoint;
  /** Whole Ethernet frame length in bytes (the NIC MTU must allow frameSize - 14). */
  frameSize: number;
  durationMs: number;
  /** Frames per sendmmsg / recvmmsg. Default 256. */
  batchSize?: number;
  /** Frames in flight (sent, not yet received) the sender allows itself. Default 2048. */
  window?: number;
  /** After the kernel refuses frames (full qdisc), wait for receiver progress instead of retrying at once. Default true. */
  backOffWhenBlocked?: boolean;
  /** Receiver SO_RCVBUF. Default 32 MiB. */
  receiveBufferBytes?: number;
  /** Called once both ends are open and the sender waits; sending starts when it resolves (lines several links up). Default: at once. */
  ready?: () => Promise<void>;
}

export interface TransportResult {
  frameSize: number;
  /** How long the sender was sending. */
  elapsedMs: number;
  framesSent: number;
  framesReceived: number;
  /** framesSent - framesReceived after the receiver drained, plus sequence gaps seen. */
  framesLost: number;
  /** Frames that arrived with a sequence number lower than expected (reordered or duplicated). */
  framesOutOfOrder: number;
  sentPerSecond: number;
  receivedPerSecond: number;
  lostPerSecond: number;
  /** Payload throughput at the receiver, whole frames, in MB/s (10^6). */
  megabytesPerSecond: number;
  kernelDrops: number;
  sendBlocked: number;
  /** CPU seconds of this process (receiver and sender thread) from the start of sending until the receiver drained. */
  cpuSeconds: number;
}

const DEFAULT_BATCH = 256;
const DEFAULT_WINDOW = 2048;
const DEFAULT_RECEIVE_BUFFER = 32 * 1024 * 1024;
const DRAIN_QUIET_MS = 200;
const SEQUENCE_OFFSET = 24;

function endpoints(options: TransportOptions): { sender: TransportEndpoint; receiver: TransportEndpoint } {
  const link = options.lab?.links[options.linkIndex ?? 0];
  const sender = options.sender ?? (options.lab && link ? { netns: options.lab.initiatorNs, ifname: link.initiatorIf } : undefined);
  const receiver = options.receiver ?? (options.lab && link ? { netns: options.lab.targetNs, ifname: link.targetIf } : undefined);
  if (sender === undefined || receiver === undefined) {
    throw Object.assign(new TypeError('measureTransport needs a lab (with linkIndex) or sender and receiver endpoints'), {
      code: 'ERR_INVALID_ARG_VALUE',
    });
  }
  return { sender, receiver };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Pushes frames one way as fast as flow control allows for `durationMs`, and counts what arrives. */
export async function measureTransport(options: TransportOptions): Promise<TransportResult> {
  const { sender, receiver } = endpoints(options);
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const control = new Int32Array(new SharedArrayBuffer(Control.length * 4));
  const link = await openPacketLink(receiver.ifname, {
    netns: receiver.netns,
    batchSize,
    receiveBufferBytes: options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER,
  });
  let received = 0;
  let expected = 0;
  let gaps = 0;
  let outOfOrder = 0;
  link.onFrames((slab, slotSize, lengths, count) => {
    for (let i = 0; i < count; i++) {
      if (lengths[i] < SEQUENCE_OFFSET + 4) continue;
      const sequence = slab.readUInt32BE(i * slotSize + SEQUENCE_OFFSET);
      if (sequence > expected) gaps += sequence - expected;
      else if (sequence < expected) outOfOrder++;
      expected = Math.max(expected, sequence + 1);
      received++;
    }
    Atomics.store(control, Control.received, received | 0);
    Atomics.notify(control, Control.received);
  });
  const setup: SenderSetup = {
    netns: sender.netns,
    ifname: sender.ifname,
    destinationMac: link.mac,
    frameSize: options.frameSize,
    batchSize,
    window: options.window ?? DEFAULT_WINDOW,
    backOffWhenBlocked: options.backOffWhenBlocked ?? true,
    control: control.buffer as SharedArrayBuffer,
  };
  const worker = new Worker(new URL('./transport-sender.js', import.meta.url), { workerData: setup });
  try {
    let failure: Error | undefined;
    const report = new Promise<SenderReport>((resolve, reject) => {
      const fail = (error: Error): void => {
        failure = error;
        reject(error);
      };
      worker.once('message', (message: SenderReport) => resolve(message));
      worker.once('error', fail);
      worker.once('exit', (code) => fail(new Error(`transport sender exited early with code ${code}`)));
    });
    report.catch(() => {}); // observed below; avoid an unhandled rejection while we wait for readiness
    while (Atomics.load(control, Control.ready) === 0) {
      if (failure !== undefined) throw failure;
      await sleep(5);
    }
    if (options.ready !== undefined) await options.ready();
    const cpuBefore = selfCpuSeconds();
    Atomics.store(control, Control.start, 1);
    Atomics.notify(control, Control.start);
    await sleep(options.durationMs);
    Atomics.store(control, Control.stop, 1);
    const { sent, elapsedMs, sendBlocked } = await report;
    // Drain: wait until everything arrived or nothing has arrived for a while.
    let last = -1;
    while (received < sent && received !== last) {
      last = received;
      await sleep(DRAIN_QUIET_MS);
    }
    const cpuSeconds = selfCpuSeconds() - cpuBefore;
    const stats = link.stats();
    const seconds = elapsedMs / 1000;
    const lost = Math.max(sent - received, gaps);
    return {
      frameSize: options.frameSize,
      elapsedMs,
      framesSent: sent,
      framesReceived: received,
      framesLost: lost,
      framesOutOfOrder: outOfOrder,
      sentPerSecond: sent / seconds,
      receivedPerSecond: received / seconds,
      lostPerSecond: lost / seconds,
      megabytesPerSecond: (received * options.frameSize) / seconds / 1e6,
      kernelDrops: stats.kernelDrops,
      sendBlocked,
      cpuSeconds,
    };
  } finally {
    Atomics.store(control, Control.stop, 1);
    await worker.terminate();
    await link.close();
  }
}
