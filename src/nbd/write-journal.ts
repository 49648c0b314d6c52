// The write journal: a ring of NBD WRITE requests (header + data) kept from submission until a flush covers them, for replay after a reconnect.
import { REQUEST_LENGTH } from './protocol.js';
import { RequestState, type NbdRequest } from './client-requests.js';

/**
 * Why a journal: a server may lose writes it acknowledged but had not yet made durable when it dies (qemu-nbd's
 * write-back cache, nbdkit's memory plugin, a restarted Ceph client). A FLUSH sent on a new connection only
 * covers writes that new server instance has seen, so it could vouch for data that is gone. Every write is
 * therefore copied here when it is submitted (the copy is also what goes on the wire: header and data sit together,
 * and writes submitted together are contiguous, so one socket write carries many of them) and kept after its
 * reply until a successful FLUSH covers it. After a reconnect the acknowledged entries are re-sent in reply
 * order before anything else, so a later FLUSH really covers them.
 *
 * Layout: entries never wrap; when the end of the ring is too short the entry starts at 0 and the tail padding is
 * skipped. Records (one per entry, in allocation order) live in a ring of their own; the byte tail advances only
 * past a prefix of released records.
 */
export class WriteJournal {
  readonly memory: Buffer;
  readonly capacity: number;
  /** Next free byte, and the first byte still in use (the oldest live entry's start). */
  head = 0;
  private tail = 0;
  private readonly records: (NbdRequest | null)[];
  private recordFirst = 0;
  /** Live records (including released ones not yet trimmed from the tail). */
  count = 0;
  /** Payload bytes of entries replied to and not yet covered by a flush. */
  ackedBytes = 0;
  /** Reply order: the last sequence number handed out. */
  sequence = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1024 * 1024) throw new RangeError(`journal of ${capacity} bytes: at least 1 MiB`);
    this.capacity = capacity;
    this.memory = Buffer.allocUnsafeSlow(capacity);
    this.records = new Array<NbdRequest | null>(Math.ceil(capacity / (REQUEST_LENGTH + 512)) + 1).fill(null);
  }

  /** Place a write of `request.length` bytes; false when there is no room now. Sets journalStart/journalRecord. */
  reserve(request: NbdRequest): boolean {
    const total = REQUEST_LENGTH + request.length;
    if (this.count === this.records.length) return false;
    let start: number;
    if (this.count === 0) {
      this.head = 0;
      this.tail = 0;
      start = 0;
      if (total > this.capacity) return false;
    } else if (this.tail < this.head) {
      if (this.capacity - this.head >= total) start = this.head;
      else if (this.tail >= total) start = 0;
      else return false;
    } else {
      // head <= tail with live records: the free bytes are [head, tail).
      if (this.tail - this.head < total) return false;
      start = this.head;
    }
    this.head = start + total;
    if (this.head === this.capacity) this.head = 0;
    const slot = (this.recordFirst + this.count) % this.records.length;
    this.records[slot] = request;
    this.count += 1;
    request.journalStart = start;
    request.journalRecord = slot;
    return true;
  }

  /** Grow the newest entry by `extra` payload bytes in place (a merged write); false when it is not the newest or there is no room. */
  extendLast(request: NbdRequest, extra: number): boolean {
    if (this.count === 0 || request.journalRecord !== (this.recordFirst + this.count - 1) % this.records.length) return false;
    const end = request.journalStart + REQUEST_LENGTH + request.length;
    // The entry ends at `head` unless head wrapped to 0 exactly at the end of the ring.
    if (end !== this.head && !(this.head === 0 && end === this.capacity)) return false;
    const room = this.tail < end || (this.tail === end && this.count === 1) ? this.capacity - end : this.tail - end;
    if (room < extra) return false;
    this.head = end + extra;
    if (this.head === this.capacity) this.head = 0;
    return true;
  }

  /** The write was answered successfully and is kept until a flush: give it the next reply sequence. */
  acknowledge(request: NbdRequest): void {
    this.sequence += 1;
    request.ackSequence = this.sequence;
    request.state = RequestState.Acked;
    this.ackedBytes += request.length;
  }

  /** Drop one entry (failed, or durable); the space is reused once every older entry is gone too. */
  release(request: NbdRequest): void {
    if (request.journalRecord < 0) return;
    if (request.state === RequestState.Acked) this.ackedBytes -= request.length;
    this.records[request.journalRecord] = null;
    request.journalRecord = -1;
    request.journalStart = -1;
    this.trim();
  }

  /** Acknowledged entries with a sequence <= `sequence`, for the caller to release (a flush covered them). */
  acknowledgedUpTo(sequence: number, into: NbdRequest[]): NbdRequest[] {
    for (let index = 0; index < this.count; index += 1) {
      const request = this.records[(this.recordFirst + index) % this.records.length];
      if (request !== null && request.state === RequestState.Acked && request.ackSequence <= sequence) into.push(request);
    }
    return into;
  }

  /** Every acknowledged entry, in reply order (the replay order). */
  acknowledgedInOrder(): NbdRequest[] {
    return this.acknowledgedUpTo(Number.MAX_SAFE_INTEGER, []).sort((a, b) => a.ackSequence - b.ackSequence);
  }

  private trim(): void {
    while (this.count > 0 && this.records[this.recordFirst] === null) {
      this.recordFirst = (this.recordFirst + 1) % this.records.length;
      this.count -= 1;
    }
    if (this.count === 0) {
      this.head = 0;
      this.tail = 0;
      this.recordFirst = 0;
      return;
    }
    this.tail = (this.records[this.recordFirst] as NbdRequest).journalStart;
  }
}
