// One export's control state in shared memory (config string, Mac Mask List, reservation, sticky write failure): one truth for every worker thread.

/** Most MACs in the Mac Mask List and in the reservation (see export.ts). */
const LIST_MAX = 64;
const CONFIG_MAX = 1024;

// Int32 control words. LOCK serializes writers; VERSION is a seqlock (odd while a writer is inside).
const LOCK = 0;
const VERSION = 1;
const MASK_COUNT = 2;
const RESERVATION_COUNT = 3;
/** Where the hot path reads the list lengths in SharedExportState.words (0: the list is empty). */
export const MASK_COUNT_WORD = MASK_COUNT;
export const RESERVATION_COUNT_WORD = RESERVATION_COUNT;
const CONFIG_LENGTH = 4;
/** 0: no failure; else 1 + the index of the errno name in FAILURE_CODES (the first failure wins). */
const WRITE_FAILURE = 5;
const CONTROL_INTS = 8;

const CONTROL_BYTES = CONTROL_INTS * 4;
const MASK_OFFSET = CONTROL_BYTES;
const RESERVATION_OFFSET = MASK_OFFSET + LIST_MAX * 8;
const FAILURE_TIME_OFFSET = RESERVATION_OFFSET + LIST_MAX * 8;
const CONFIG_OFFSET = FAILURE_TIME_OFFSET + 8;
/** Bytes of shared memory one export's control state takes. */
export const CONTROL_STATE_BYTES = CONFIG_OFFSET + CONFIG_MAX;

/** Errno names a write failure can carry across threads (anything else is shared as EIO, with its own name kept locally). */
const FAILURE_CODES = [
  'EIO',
  'ENOSPC',
  'EDQUOT',
  'EFBIG',
  'EROFS',
  'EPERM',
  'EACCES',
  'ENXIO',
  'ENODEV',
  'ESHUTDOWN',
  'ETIMEDOUT',
  'ERANGE',
];

/** A list change under the writer lock: return the new list, or a value that says why nothing changes. */
export type ListEdit<T> = (current: readonly number[]) => { list: number[] } | { refused: T };

/**
 * Readers take no lock: they read between two loads of VERSION and retry when a writer came in between, so a
 * read never sees half an edit. Writers take LOCK with a compare-and-swap, then make VERSION odd while they write.
 * Every change is complete before the writer returns, so a reply queued after it can only meet the new state on
 * every NIC and every thread.
 */
export class SharedExportState {
  readonly buffer: SharedArrayBuffer;
  private readonly control: Int32Array;
  /** The control words, for the hot path's plain reads of MASK_COUNT_WORD and RESERVATION_COUNT_WORD (no getter call per frame). */
  readonly words: Int32Array;
  private readonly mask: Float64Array;
  private readonly reservation: Float64Array;
  private readonly failureTime: Float64Array;
  /** The config string's bytes (the first configLength are meaningful). */
  readonly configBytes: Buffer;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(CONTROL_STATE_BYTES)) {
    this.buffer = buffer;
    this.control = new Int32Array(buffer, 0, CONTROL_INTS);
    this.words = this.control;
    this.mask = new Float64Array(buffer, MASK_OFFSET, LIST_MAX);
    this.reservation = new Float64Array(buffer, RESERVATION_OFFSET, LIST_MAX);
    this.failureTime = new Float64Array(buffer, FAILURE_TIME_OFFSET, 1);
    this.configBytes = Buffer.from(buffer, CONFIG_OFFSET, CONFIG_MAX);
  }

  /** MACs on the Mac Mask List (0: everyone is answered). A plain read: the hot path's only cost while it is 0. */
  get maskCount(): number {
    return this.control[MASK_COUNT];
  }

  /** MACs the export is reserved for (0: not reserved). */
  get reservationCount(): number {
    return this.control[RESERVATION_COUNT];
  }

  get configLength(): number {
    return this.control[CONFIG_LENGTH];
  }

  maskAllows(mac: number): boolean {
    return this.listHas(this.mask, MASK_COUNT, mac);
  }

  reservationAllows(mac: number): boolean {
    return this.listHas(this.reservation, RESERVATION_COUNT, mac);
  }

  maskList(): number[] {
    return this.readList(this.mask, MASK_COUNT);
  }

  reservationList(): number[] {
    return this.readList(this.reservation, RESERVATION_COUNT);
  }

  /** The config string, copied out consistently. */
  configString(): Buffer {
    for (;;) {
      const version = Atomics.load(this.control, VERSION);
      if ((version & 1) === 0) {
        const copy = Buffer.from(this.configBytes.subarray(0, this.control[CONFIG_LENGTH]));
        if (Atomics.load(this.control, VERSION) === version) return copy;
      }
    }
  }

  /** Apply `edit` to the current mask list under the lock; returns whether the list changed, or the refusal. */
  editMask<T>(edit: ListEdit<T>): { changed: boolean } | { refused: T } {
    return this.editList(this.mask, MASK_COUNT, edit);
  }

  editReservation<T>(edit: ListEdit<T>): { changed: boolean } | { refused: T } {
    return this.editList(this.reservation, RESERVATION_COUNT, edit);
  }

  /** Set the config string (at most 1024 bytes); with `onlyIfEmpty`, only when none is set. Returns false when refused. */
  setConfig(bytes: Uint8Array, onlyIfEmpty = false): boolean {
    return this.locked(() => {
      if (onlyIfEmpty && this.control[CONFIG_LENGTH] !== 0) return false;
      const length = Math.min(bytes.length, CONFIG_MAX);
      this.configBytes.set(bytes.subarray(0, length), 0);
      this.control[CONFIG_LENGTH] = length;
      return true;
    });
  }

  /** The shared write failure: its errno name and when (ms since the epoch), or null. */
  writeFailure(): { code: string; at: number } | null {
    const value = Atomics.load(this.control, WRITE_FAILURE);
    if (value === 0) return null;
    return { code: FAILURE_CODES[value - 1] ?? 'EIO', at: this.failureTime[0] };
  }

  /** Record a write failure if none is recorded yet; true when this call recorded it. */
  recordWriteFailure(code: string): boolean {
    const index = FAILURE_CODES.indexOf(code);
    const value = Math.max(index, 0) + 1;
    this.failureTime[0] = Date.now();
    return Atomics.compareExchange(this.control, WRITE_FAILURE, 0, value) === 0;
  }

  private listHas(list: Float64Array, countWord: number, mac: number): boolean {
    for (;;) {
      const version = Atomics.load(this.control, VERSION);
      if ((version & 1) !== 0) continue;
      const count = this.control[countWord];
      let found = false;
      for (let i = 0; i < count; i++) {
        if (list[i] === mac) {
          found = true;
          break;
        }
      }
      if (Atomics.load(this.control, VERSION) === version) return found;
    }
  }

  private readList(list: Float64Array, countWord: number): number[] {
    for (;;) {
      const version = Atomics.load(this.control, VERSION);
      if ((version & 1) !== 0) continue;
      const copy = Array.from(list.subarray(0, this.control[countWord]));
      if (Atomics.load(this.control, VERSION) === version) return copy;
    }
  }

  private editList<T>(list: Float64Array, countWord: number, edit: ListEdit<T>): { changed: boolean } | { refused: T } {
    return this.locked(() => {
      const current = Array.from(list.subarray(0, this.control[countWord]));
      const result = edit(current);
      if ('refused' in result) return result;
      const next = result.list.slice(0, LIST_MAX);
      const changed = next.length !== current.length || next.some((mac, index) => mac !== current[index]);
      if (changed) {
        list.set(next, 0);
        this.control[countWord] = next.length;
      }
      return { changed };
    });
  }

  /** Run `write` as the only writer, with VERSION odd while it runs (readers retry). */
  private locked<R>(write: () => R): R {
    while (Atomics.compareExchange(this.control, LOCK, 0, 1) !== 0) {
      // another thread is writing: a handful of stores, so spin
    }
    Atomics.add(this.control, VERSION, 1);
    try {
      return write();
    } finally {
      Atomics.add(this.control, VERSION, 1);
      Atomics.store(this.control, LOCK, 0);
    }
  }
}
