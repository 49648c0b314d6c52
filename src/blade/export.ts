// One served shelf.slot: its store, IDENTIFY page and the control state (config string, mask list, reservation).
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { BlockStore } from '../store/block-store.js';
import { CONFIG_STRING_MAX, SECTOR_SIZE } from '../wire/constants.js';
import { buildIdentify } from '../wire/identify.js';
import { AuditKind, NO_AUDIT, NO_INITIATOR, type AuditTrail } from './audit.js';
import { LatencyHistogram } from './latency.js';
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
  readonly configString: Buffer = Buffer.alloc(CONFIG_STRING_MAX);
  configLength = 0;
  /** Mac Mask List; empty = everyone may send ATA commands. */
  readonly macMask: number[] = [];
  /** Reservation list; empty = not reserved. Change it with setReservation(). */
  reservation: number[] = [];
  /** True when the store offers merged slab I/O (BlockStore.readSlab): the engine merges contiguous requests. */
  readonly mergeable: boolean;
  /** Called after the control state changes (persistence hooks in here). */
  onChange: (runtime: ExportRuntime) => void = () => {};
  /** Audit lines for changes and denials (the server sets a rate-limited ExportAudit once started). */
  audit: AuditTrail = NO_AUDIT;
  /**
   * The first write or flush failure since the export was opened, or null. Sticky, like Linux's errseq: the
   * kernel reports a write-back error to one fdatasync only, so a later FLUSH that "succeeds" would vouch for
   * data that never reached the disk. Every FLUSH fails while this is set; reopening the export clears it.
   */
  writeFailure: { code: string; message: string; at: string } | null = null;
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
    if (options.configString !== undefined) this.setConfigString(toBytes(options.configString), false);
    if (options.macMask) for (const mac of options.macMask.slice(0, MASK_LIST_MAX)) if (!this.macMask.includes(mac)) this.macMask.push(mac);
  }

  get name(): string {
    return `e${this.shelf}.${this.slot}`;
  }

  /** Set the config string; `notify`: persist and audit it (`by`: the initiator MAC that set it). */
  setConfigString(bytes: Uint8Array, notify = true, by = NO_INITIATOR): void {
    const length = Math.min(bytes.length, CONFIG_STRING_MAX);
    this.configString.set(bytes.subarray(0, length), 0);
    this.configLength = length;
    if (notify) {
      this.onChange(this);
      this.audit.changed(AuditKind.ConfigString, by);
    }
  }

  /** Replace the Mac Mask List (an edit that succeeded as a whole), persist and audit it. */
  replaceMask(list: readonly number[], by = NO_INITIATOR): void {
    if (list.length === this.macMask.length && list.every((mac, index) => mac === this.macMask[index])) return;
    this.macMask.length = 0;
    for (const mac of list) this.macMask.push(mac);
    this.onChange(this);
    this.audit.changed(AuditKind.Mask, by);
  }

  /** Set (or, with an empty list, release) the reservation, persist and audit it. */
  setReservation(list: number[], by = NO_INITIATOR): void {
    this.reservation = list;
    this.onChange(this);
    this.audit.changed(AuditKind.Reservation, by);
  }

  /** Remember a failed write or flush (the first one wins) so that every later FLUSH fails. */
  recordWriteFailure(error: Error): void {
    if (this.writeFailure !== null) return;
    const code = (error as { code?: unknown }).code;
    this.writeFailure = { code: typeof code === 'string' ? code : 'EIO', message: error.message, at: new Date().toISOString() };
    this.onWriteFailure(this, error);
  }

  maskAllows(mac: number): boolean {
    const list = this.macMask;
    if (list.length === 0) return true;
    for (let i = 0; i < list.length; i++) if (list[i] === mac) return true;
    return false;
  }

  reservationAllows(mac: number): boolean {
    const list = this.reservation;
    if (list.length === 0) return true;
    for (let i = 0; i < list.length; i++) if (list[i] === mac) return true;
    return false;
  }

  snapshotState(): PersistedExportState {
    return {
      configString: Uint8Array.from(this.configString.subarray(0, this.configLength)),
      macMask: [...this.macMask],
      reservation: [...this.reservation],
    };
  }

  /** Apply persisted state; fields the operator gave explicitly (configString/macMask options) win. */
  restoreState(state: PersistedExportState, options: ExportOptions): void {
    if (options.configString === undefined) this.setConfigString(state.configString, false);
    if (options.macMask === undefined) {
      this.macMask.length = 0;
      for (const mac of state.macMask.slice(0, MASK_LIST_MAX)) this.macMask.push(mac);
    }
    this.reservation = state.reservation.slice(0, RESERVE_LIST_MAX);
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
