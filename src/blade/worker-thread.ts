// A target worker thread: opens its NICs and its own handles on the exports' stores, runs a NicEngine per NIC, reports to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { openPacketLink } from '../link/index.js';
import type { Link } from '../link/link.js';
import type { Logger } from '../log.js';
import type { BlockStore } from '../store/block-store.js';
import { FileStore } from '../store/file-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { WindowStore } from '../store/window-store.js';
import { ExportAudit } from './audit.js';
import { NicEngine } from './engine.js';
import { ExportRuntime } from './export.js';
import { SharedExportState } from './shared-state.js';
import type { MainMessage, StoreSpec, WorkerExport, WorkerMessage, WorkerReport, WorkerSetup } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('blade/worker-thread.js runs as a worker thread of the target');
const setup = workerData as WorkerSetup;
const post = (message: WorkerMessage) => port.postMessage(message);

/** Log lines go to the main thread, which writes them with its own logger (JSON or pretty) and this worker's index. */
const logger: Logger = pino(
  { level: setup.logLevel, base: undefined, timestamp: false },
  { write: (line: string) => port.postMessage({ type: 'log', line }) },
);

function openStore(spec: StoreSpec): BlockStore {
  const inner =
    spec.kind === 'file'
      ? FileStore.open(spec.path, { readOnly: spec.readOnly, sync: spec.sync, direct: spec.direct })
      : MemoryStore.overShared(spec.size, spec.chunks, spec.readOnly);
  if (!spec.offsetSectors && spec.lengthSectors === undefined) return inner;
  return new WindowStore(inner, spec.offsetSectors ?? 0, spec.lengthSectors);
}

function runtimeFor(item: WorkerExport): ExportRuntime {
  const runtime = new ExportRuntime({
    shelf: item.shelf,
    slot: item.slot,
    store: openStore(item.store),
    readOnly: item.readOnly,
    bufferCount: item.bufferCount,
    firmwareVersion: item.firmwareVersion,
    interfaces: item.interfaces,
    shared: new SharedExportState(item.shared),
    identifyPage: item.identify,
  });
  runtime.onChange = () => post({ type: 'changed', index: item.index });
  runtime.onWriteFailure = (failed, error) =>
    post({ type: 'write-failure', index: item.index, code: failed.writeFailure?.code ?? 'EIO', message: error.message });
  runtime.audit = new ExportAudit(runtime, logger);
  return runtime;
}

const runtimes = new Map<number, ExportRuntime>();
const engines: NicEngine[] = [];
const links: Link[] = [];
let reportTimer: NodeJS.Timeout | undefined;

function report(): WorkerReport {
  return {
    nics: engines.map((engine) => engine.stats()),
    exports: [...runtimes].map(([index, runtime]) => ({ index, counters: { ...runtime.counters }, latency: runtime.latency.snapshot() })),
  };
}

async function start(): Promise<void> {
  for (const item of setup.exports) runtimes.set(item.index, runtimeFor(item));
  for (const name of setup.nics) {
    const link = await openPacketLink(name, { netns: setup.netns, filter: 'requests' });
    links.push(link);
    const served = setup.exports.filter((item) => item.interfaces.includes(name)).map((item) => runtimes.get(item.index) as ExportRuntime);
    engines.push(new NicEngine(link, served, { logger, poolSize: setup.poolSize, announce: setup.announce }));
  }
  for (const engine of engines) {
    engine.link.on('error', (error: Error) => logger.warn({ err: error, nic: engine.link.name }, 'link error'));
    engine.start();
    if (setup.announce) engine.announce();
  }
  reportTimer = setInterval(() => post({ type: 'report', report: report() }), setup.reportIntervalMs);
  post({
    type: 'started',
    nics: engines.map((engine) => ({ name: engine.link.name, mac: engine.link.mac, mtu: engine.link.mtu, sectorCount: engine.maxSectors })),
  });
}

/** Finish the requests in flight, then close NICs and stores; the main thread flushes and saves state after. */
async function stop(): Promise<void> {
  if (reportTimer) clearInterval(reportTimer);
  await Promise.all(engines.map((engine) => engine.stop()));
  for (const runtime of runtimes.values()) runtime.audit.close();
  const last = report();
  await Promise.allSettled(links.map((link) => link.close()));
  await Promise.allSettled([...runtimes.values()].map((runtime) => runtime.store.close()));
  post({ type: 'stopped', report: last });
  port?.close();
}

port.on('message', (message: MainMessage) => {
  if (message.type === 'stop') void stop();
  else if (message.type === 'report-now' && reportTimer !== undefined)
    post({ type: 'report', report: report(), sequence: message.sequence });
});

start().catch(async (error: unknown) => {
  await Promise.allSettled(links.map((link) => link.close()));
  await Promise.allSettled([...runtimes.values()].map((runtime) => runtime.store.close()));
  const code = (error as { code?: unknown }).code;
  post({ type: 'failed', message: (error as Error).message ?? String(error), code: typeof code === 'string' ? code : 'ERR_WORKER' });
  port.close();
});
