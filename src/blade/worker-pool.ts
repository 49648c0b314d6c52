// The target's worker threads, seen from the main thread: NICs dealt out, start and stop, their reports and log lines gathered.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import type { ExportRuntime } from './export.js';
import type { LatencySnapshot } from './latency.js';
import type { ExportCounters, NicStatsSnapshot } from './stats.js';
import type { MainMessage, NicFacts, StoreSpec, WorkerExport, WorkerMessage, WorkerReport, WorkerSetup } from './worker-protocol.js';

export interface WorkerPoolOptions {
  /** Threads wanted; never more than NICs (a NIC belongs to one thread). */
  count: number;
  nics: string[];
  netns: string | undefined;
  /** The main thread's exports: their shared state, IDENTIFY page and settings go to the workers. */
  exports: readonly ExportRuntime[];
  /** How a worker opens each export's store (same order as `exports`). */
  stores: readonly StoreSpec[];
  poolSize: number | undefined;
  announce: boolean;
  logger: Logger;
  logLevel: string;
  onChanged: (index: number) => void;
  onWriteFailure: (index: number, code: string, message: string) => void;
}

const REPORT_INTERVAL_MS = 250;
const LEVEL_NAMES: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** A worker's log line (pino JSON), written again through the main thread's logger with the worker's index. */
function relayLog(logger: Logger, line: string): void {
  try {
    const { level, msg, ...fields } = JSON.parse(line) as { level: number; msg?: string } & Record<string, unknown>;
    logger[LEVEL_NAMES[level] ?? 'info'](fields, msg);
  } catch {
    logger.warn({ line }, 'unreadable log line from a worker');
  }
}

export class WorkerPool {
  private readonly reports: (WorkerReport | undefined)[];
  /** Workers whose answer to the pending refresh() has not come yet, and who waits for them. */
  private awaited = new Set<number>();
  private refreshing: Promise<void> | undefined;
  private refreshed: (() => void) | undefined;
  private sequence = 0;
  private nicFacts: NicFacts[] = [];

  private constructor(private readonly workers: Worker[]) {
    this.reports = workers.map(() => undefined);
  }

  /** Start the threads; resolves once every one serves its NICs, or rejects (and stops the others) when one cannot. */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const count = Math.max(1, Math.min(options.count, options.nics.length));
    const groups = Array.from({ length: count }, (_, index) => options.nics.filter((_, nic) => nic % count === index));
    const workers = groups.map(
      (nics, workerIndex) =>
        new Worker(new URL('./worker-thread.js', import.meta.url), { workerData: setupFor(options, nics, workerIndex) }),
    );
    const pool = new WorkerPool(workers);
    const started = workers.map((worker, index) => pool.watch(worker, index, options));
    const results = await Promise.allSettled(started);
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) {
      await pool.stop();
      throw (failure as PromiseRejectedResult).reason;
    }
    pool.nicFacts = results.flatMap((result) => (result as PromiseFulfilledResult<NicFacts[]>).value);
    return pool;
  }

  /** Relay a worker's messages; resolves with its NICs once it started. */
  private watch(worker: Worker, index: number, options: WorkerPoolOptions): Promise<NicFacts[]> {
    const logger = options.logger.child({ worker: index });
    return new Promise((resolve, reject) => {
      worker.on('message', (message: WorkerMessage | { type: 'log'; line: string }) => {
        switch (message.type) {
          case 'log':
            relayLog(logger, message.line);
            break;
          case 'started':
            resolve(message.nics);
            break;
          case 'failed':
            reject(Object.assign(new Error(message.message), { code: message.code }));
            break;
          case 'report':
            this.reports[index] = message.report;
            if (message.sequence === this.sequence) this.answered(index);
            break;
          case 'stopped':
            this.reports[index] = message.report;
            this.answered(index);
            break;
          case 'changed':
            options.onChanged(message.index);
            break;
          case 'write-failure':
            options.onWriteFailure(message.index, message.code, message.message);
            break;
        }
      });
      worker.once('error', (error) => {
        logger.error({ err: error }, 'worker thread failed');
        reject(error);
      });
      worker.once('exit', (code) =>
        reject(Object.assign(new Error(`worker thread ${index} exited (${code}) before it started`), { code: 'ERR_WORKER' })),
      );
    });
  }

  /** The NICs the workers opened, for the start-up log line. */
  nics(): NicFacts[] {
    return this.nicFacts;
  }

  /** Every worker's latest NIC figures. */
  nicStats(): NicStatsSnapshot[] {
    return this.reports.flatMap((report) => report?.nics ?? []);
  }

  /** Export `index`'s counters and latency as each worker last reported them (to be summed). */
  exportShares(index: number): Array<{ counters: ExportCounters; latency: LatencySnapshot }> {
    return this.reports.flatMap((report) => report?.exports.filter((share) => share.index === index) ?? []);
  }

  /**
   * Ask every worker for its counters as of now and resolve once all answered (or after `timeoutMs`, with what came):
   * a scrape or a stats request right after a copy must see all of it, not the last periodic report. Calls made while
   * one is pending share it.
   */
  refresh(timeoutMs = 200): Promise<void> {
    if (this.refreshing) return this.refreshing;
    this.awaited = new Set(this.workers.map((_, index) => index));
    const sequence = ++this.sequence;
    this.refreshing = new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.refreshed?.(), timeoutMs);
      this.refreshed = () => {
        clearTimeout(timer);
        this.refreshing = undefined;
        this.refreshed = undefined;
        resolve();
      };
      for (const worker of this.workers) worker.postMessage({ type: 'report-now', sequence } satisfies MainMessage);
    });
    return this.refreshing;
  }

  private answered(index: number): void {
    if (!this.awaited.delete(index)) return;
    if (this.awaited.size === 0) this.refreshed?.();
  }

  /** Ask every worker to finish its requests and close; resolves once all exited. */
  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.threadId < 0) return resolve();
            worker.once('exit', () => resolve());
            worker.postMessage({ type: 'stop' } satisfies MainMessage);
            // A worker that does not answer within the drain time is ended.
            setTimeout(() => void worker.terminate(), 10_000).unref();
          }),
      ),
    );
  }
}

function setupFor(options: WorkerPoolOptions, nics: string[], workerIndex: number): WorkerSetup {
  const exports: WorkerExport[] = [];
  options.exports.forEach((runtime, index) => {
    const interfaces = runtime.interfaces.filter((name) => nics.includes(name));
    if (interfaces.length === 0) return;
    exports.push({
      index,
      shelf: runtime.shelf,
      slot: runtime.slot,
      readOnly: runtime.readOnly,
      bufferCount: runtime.bufferCount,
      firmwareVersion: runtime.firmwareVersion,
      interfaces,
      identify: Uint8Array.from(runtime.identify),
      shared: runtime.shared.buffer,
      store: options.stores[index],
    });
  });
  return {
    workerIndex,
    nics,
    netns: options.netns,
    exports,
    poolSize: options.poolSize,
    announce: options.announce,
    logLevel: options.logLevel,
    reportIntervalMs: REPORT_INTERVAL_MS,
  };
}
