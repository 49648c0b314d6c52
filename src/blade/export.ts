// One served shelf.slot: its store, IDENTIFY page and the control state (config string, mask list, reservation).
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { BlockStore } from '../store/block-store.js';
import { SECTOR_SIZE } from '../wire/constants.js';
import { buildIdentify } from '../wire/identify.js';
import { AuditKind, NO_AUDIT, NO_INITIATOR, type AuditTrail } from './audit.js';
import { LatencyHistogram } from './latency.js';
import { SharedExportState } from './shared-state.js';
import { ExportCounters } from './stats.js';

/** The Mac Mask List holds at most this many MACs (vblade: 32). 64 directives = 512 bytes, a reply that fits any MTU >= 576. */
export const MASK_LIST_MAX = 64;
/** A reservation holds at most this many MACs (NMacs could say 255; 64 keeps the 26 + 6*64 byte reply small). More = BadArgument. */
export const RESERVE_LIST_MAX = 64;

export interface ExportIdentity {
  serial?: string;
  model?: string;
  firmware?: string;
  /** 512 (default) or 4096: IDENTIFY word 106 advertises 4096-byte physical sectors (512e). */
  physicalSectorSize?: 512 | 4096;
}

export interface ExportOptions extends ExportIdentity {
  shelf: number;
  slot: number;
  store: BlockStore;
  /** Refuse writes with ABRT (also true when the store is read-only). */
  readOnly?: boolean;
  /** Initial Mac Mask List (overrides persisted state when given). */
  macMask?: number[];
  /** Initial config string (overrides persisted state when given). */
  configString?: string | Uint8Array;
  /** Advertised buffer count (vblade -b, default 16). */
  bufferCount?: number;
  /** Advertised firmware version (Query Config), default 0x4019 like vblade. */
  firmwareVersion?: number;
  /** Interface names this export is served on. */
  interfaces: string[];
  /**
   * What names the backing data (e.g. the real path and window): it seeds the default IDENTIFY serial, so two
   * different disks behind one shelf.slot differ and the same disk keeps its serial across restarts. Default: the
   * store's description.
   */
  identityKey?: string;
  /**
   * The control state in shared memory, when another thread made it (a worker thread gets its exports' from the
   * main thread, which applied the initial config string and mask). Default: a new one, initialised from the options.
   */
  shared?: SharedExportState;
  /** The IDENTIFY page as another thread built it (a worker serves the page the main thread made). */
  identifyPage?: Uint8Array;
}

export interface PersistedExportState {
  configString: Uint8Array;
  macMask: number[];
  reservation: number[];
}

export class ExportRuntime {
  readonly shelf: number;
  readonly slot: number;
  /** shelf * 256 + slot: the dispatch key. */
  readonly key: number;
  readonly store: BlockStore;
  readonly readOnly: boolean;
  /** Capacity in 512-byte sectors (the window). */
  readonly sectors: number;
  readonly bufferCount: number;
  readonly firmwareVersion: number;
  readonly interfaces: string[];
  /** The 512-byte IDENTIFY DEVICE page, built once. */
  readonly identify: Buffer = Buffer.alloc(SECTOR_SIZE);
  readonly counters = new ExportCounters();
  /** Request arrival to reply sent, per reply (the send queue fills it). */
  readonly latency = new LatencyHistogram();
  /** Config string, Mac Mask List, reservation and the sticky write failure, shared by every thread serving the export. */
  readonly shared: SharedExportState;
  /** shared.words: the hot path reads [MASK_COUNT_WORD] and [RESERVATION_COUNT_WORD] here, one typed-array load each. */
  readonly stateWords: Int32Array;
  /** True when the store offers merged slab I/O (BlockStore.readSlab): the engine merges contiguous requests. */
  readonly mergeable: boolean;
  /** Called after the control state changes (persistence hooks in here). */
  onChange: (runtime: ExportRuntime) => void = () => {};
  /** Audit lines for changes and denials (the server sets a rate-limited ExportAudit once started). */
  audit: AuditTrail = NO_AUDIT;
  /** The failure this thread saw first, with its message (writeFailure also reports one another thread saw). */
  private localFailure: { code: string; message: string; at: string } | null = null;
  /** Called once, when writeFailure is first set (the server logs it). */
  onWriteFailure: (runtime: ExportRuntime, error: Error) => void = () => {};

  constructor(options: ExportOptions) {
    this.shelf = options.shelf;
    this.slot = options.slot;
    this.key = options.shelf * 256 + options.slot;
    this.store = options.store;
    this.readOnly = Boolean(options.readOnly) || options.store.readOnly;
    this.mergeable = options.store.readSlab !== undefined && (this.readOnly || options.store.writeSlab !== undefined);
    this.sectors = Math.floor(options.store.size / SECTOR_SIZE);
    this.bufferCount = options.bufferCount ?? 16;
    this.firmwareVersion = options.firmwareVersion ?? 0x4019;
    this.interfaces = [...options.interfaces];
    if (options.identifyPage !== undefined) this.identify.set(options.identifyPage.subarray(0, SECTOR_SIZE));
    else
      buildIdentify(
        {
          serial: options.serial ?? defaultSerial(options.identityKey ?? options.store.description),
          model: options.model ?? 'aoekit aoeblade',
          firmware: options.firmware ?? 'aoekit01',
          sectors: this.sectors,
          physicalSectorSize: options.physicalSectorSize ?? 512,
        },
        this.identify,
        0,
      );
    if (options.shared !== undefined) {
      this.shared = options.shared;
      this.stateWords = this.shared.words;
      return;
    }
    this.shared = new SharedExportState();
    this.stateWords = this.shared.words;
    if (options.configString !== undefined) this.setConfigString(toBytes(options.configString), false);
    if (options.macMask) this.shared.editMask(() => ({ list: [...new Set(options.macMask)].slice(0, MASK_LIST_MAX) }));
  }

  /** The config string's bytes (the first configLength are meaningful; shared memory: read, never keep). */
  get configString(): Buffer {
    return this.shared.configBytes;
  }

  get configLength(): number {
    return this.shared.configLength;
  }

  /** A copy of the Mac Mask List (empty: everyone is answered). */
  get macMask(): number[] {
    return this.shared.maskList();
  }

  /** A copy of the reservation (empty: not reserved). */
  get reservation(): number[] {
    return this.shared.reservationList();
  }

  /** True while the Mac Mask List is not empty (the hot path's check: one shared-memory read). */
  get maskActive(): boolean {
    return this.shared.maskCount !== 0;
  }

  /** True while the export is reserved. */
  get reservationActive(): boolean {
    return this.shared.reservationCount !== 0;
  }

  /**
   * The first write or flush failure since the export was opened, on any thread, or null. Sticky, like Linux's
   * errseq: the kernel reports a write-back error to one fdatasync only, so a later FLUSH that "succeeds" would
   * vouch for data that never reached the disk. Every FLUSH fails while this is set; reopening the export clears it.
   */
  get writeFailure(): { code: string; message: string; at: string } | null {
    if (this.localFailure !== null) return this.localFailure;
    const shared = this.shared.writeFailure();
    if (shared === null) return null;
    return { code: shared.code, message: 'a write or flush failed on another NIC of this export', at: new Date(shared.at).toISOString() };
  }

  get name(): string {
    return `e${this.shelf}.${this.slot}`;
  }

  /** Set the config string; `notify`: persist and audit it (`by`: the initiator MAC that set it). */
  setConfigString(bytes: Uint8Array, notify = true, by = NO_INITIATOR): void {
    this.shared.setConfig(bytes);
    if (notify) this.changed(AuditKind.ConfigString, by);
  }

  /** Query Config "set": only when no string is set, in one step on every thread. Returns false when one was. */
  setConfigStringIfEmpty(bytes: Uint8Array, by = NO_INITIATOR): boolean {
    if (!this.shared.setConfig(bytes, true)) return false;
    this.changed(AuditKind.ConfigString, by);
    return true;
  }

  /** Edit the Mac Mask List in one step on every thread (all or nothing); persists and audits a change. */
  editMask<T>(
    edit: (current: readonly number[]) => { list: number[] } | { refused: T },
    by = NO_INITIATOR,
  ): { changed: boolean } | { refused: T } {
    const result = this.shared.editMask(edit);
    if ('changed' in result && result.changed) this.changed(AuditKind.Mask, by);
    return result;
  }

  /** Replace the Mac Mask List, persist and audit it. */
  replaceMask(list: readonly number[], by = NO_INITIATOR): void {
    this.editMask(() => ({ list: [...list] }), by);
  }

  /** Set (or, with an empty list, release) the reservation, persist and audit it. */
  setReservation(list: number[], by = NO_INITIATOR): void {
    const result = this.shared.editReservation(() => ({ list }));
    if ('changed' in result) this.changed(AuditKind.Reservation, by);
  }

  /** Reserve/Release "set": only when not reserved or `by` holds the reservation, in one step. False when refused. */
  setReservationIfAllowed(list: number[], by: number): boolean {
    const result = this.shared.editReservation((current) => (current.length === 0 || current.includes(by) ? { list } : { refused: true }));
    if ('refused' in result) return false;
    this.changed(AuditKind.Reservation, by);
    return true;
  }

  private changed(kind: AuditKind, by: number): void {
    this.onChange(this);
    this.audit.changed(kind, by);
  }

  /** Remember a failed write or flush (the first one on any thread wins) so that every later FLUSH fails. */
  recordWriteFailure(error: Error): void {
    if (this.writeFailure !== null) return;
    const code = (error as { code?: unknown }).code;
    const name = typeof code === 'string' ? code : 'EIO';
    if (!this.shared.recordWriteFailure(name)) return;
    this.localFailure = { code: name, message: error.message, at: new Date().toISOString() };
    this.onWriteFailure(this, error);
  }

  maskAllows(mac: number): boolean {
    return this.shared.maskCount === 0 || this.shared.maskAllows(mac);
  }

  reservationAllows(mac: number): boolean {
    return this.shared.reservationCount === 0 || this.shared.reservationAllows(mac);
  }

  snapshotState(): PersistedExportState {
    return { configString: Uint8Array.from(this.shared.configString()), macMask: this.macMask, reservation: this.reservation };
  }

  /** Apply persisted state; fields the operator gave explicitly (configString/macMask options) win. */
  restoreState(state: PersistedExportState, options: ExportOptions): void {
    if (options.configString === undefined) this.shared.setConfig(state.configString);
    if (options.macMask === undefined) this.shared.editMask(() => ({ list: state.macMask.slice(0, MASK_LIST_MAX) }));
    this.shared.editReservation(() => ({ list: state.reservation.slice(0, RESERVE_LIST_MAX) }));
  }
}

/** 'AK' + 16 hex digits of sha256(host name, identity key): 18 characters, within IDENTIFY's 20. */
export function defaultSerial(identityKey: string): string {
  const digest = createHash('sha256').update(`${hostname()}\0${identityKey}`).digest('hex');
  return `AK${digest.slice(0, 16).toUpperCase()}`;
}

function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}
