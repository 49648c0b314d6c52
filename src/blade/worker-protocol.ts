// What the target's main thread and its worker threads tell each other: the setup of a worker, its reports, and orders.
import type { LatencySnapshot } from './latency.js';
import type { ExportCounters, NicStatsSnapshot } from './stats.js';

/** How a worker opens an export's store: the same file (its own descriptor), or the same RAM disk (shared memory). */
export type StoreSpec =
  | { kind: 'file'; path: string; readOnly: boolean; sync: boolean; direct: boolean; offsetSectors?: number; lengthSectors?: number }
  | { kind: 'ram'; size: number; chunks: SharedArrayBuffer[]; readOnly: boolean; offsetSectors?: number; lengthSectors?: number };

/** One export as a worker serves it: everything but the store object, which the worker opens from `store`. */
export interface WorkerExport {
  /** The export's index in the target's list (reports name exports by it). */
  index: number;
  shelf: number;
  slot: number;
  readOnly: boolean;
  bufferCount: number;
  firmwareVersion: number;
  /** The NICs of this worker that serve the export. */
  interfaces: string[];
  /** The IDENTIFY page the main thread built (serial, model, capacity): every NIC answers the same. */
  identify: Uint8Array;
  /** Config string, mask list, reservation and write failure in shared memory (SharedExportState). */
  shared: SharedArrayBuffer;
  store: StoreSpec;
}

export interface WorkerSetup {
  workerIndex: number;
  nics: string[];
  netns: string | undefined;
  exports: WorkerExport[];
  poolSize: number | undefined;
  announce: boolean;
  logLevel: string;
  /** How often the worker reports its counters (ms). */
  reportIntervalMs: number;
}

/** A NIC's facts once open, for the start-up log line. */
export interface NicFacts {
  name: string;
  mac: number;
  mtu: number;
  sectorCount: number;
}

/** A worker's counters: its NICs', and its share of each export's (summed over workers by the main thread). */
export interface WorkerReport {
  nics: NicStatsSnapshot[];
  exports: Array<{ index: number; counters: ExportCounters; latency: LatencySnapshot }>;
}

export type WorkerMessage =
  | { type: 'started'; nics: NicFacts[] }
  | { type: 'failed'; message: string; code: string }
  /** `sequence`: the 'report-now' this answers (periodic reports have none). */
  | { type: 'report'; report: WorkerReport; sequence?: number }
  | { type: 'changed'; index: number }
  | { type: 'write-failure'; index: number; code: string; message: string }
  | { type: 'stopped'; report: WorkerReport };

/** 'report-now': answer with a report at once (a stats read wants counters as of now, not up to one interval old). */
export type MainMessage = { type: 'stop' } | { type: 'report-now'; sequence: number };
