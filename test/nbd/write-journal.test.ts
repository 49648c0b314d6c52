// The write journal ring: reservation, wrap-around, in-place growth, release order, reply-order replay list.
import { describe, expect, it } from 'vitest';
import { RequestState, RequestTable, type NbdRequest } from '../../src/nbd/client-requests.js';
import { REQUEST_LENGTH } from '../../src/nbd/protocol.js';
import { WriteJournal } from '../../src/nbd/write-journal.js';

const MiB = 1024 * 1024;

function entry(table: RequestTable, length: number): NbdRequest {
  const request = table.acquire();
  request.length = length;
  return request;
}

describe('write journal', () => {
  it('fills, refuses when full, reuses space only once the oldest entries are gone, and wraps', () => {
    const table = new RequestTable();
    const journal = new WriteJournal(MiB);
    const size = 256 * 1024 - REQUEST_LENGTH;
    const entries = [0, 1, 2, 3].map(() => entry(table, size));
    for (const request of entries) expect(journal.reserve(request)).toBe(true);
    expect(entries.map((request) => request.journalStart)).toEqual([0, 262144, 524288, 786432]);
    const extra = entry(table, 1024);
    expect(journal.reserve(extra)).toBe(false);
    journal.release(entries[1]);
    expect(journal.reserve(extra)).toBe(false); // entry 0 still holds the tail
    journal.release(entries[0]);
    expect(journal.reserve(extra)).toBe(true);
    expect(extra.journalStart).toBe(0);
    // Grow the newest entry in place, up to the tail.
    expect(journal.extendLast(extra, 4096)).toBe(true);
    expect(journal.extendLast(extra, 600 * 1024)).toBe(false);
    expect(journal.extendLast(entries[3], 512)).toBe(false); // not the newest
  });

  it('lists acknowledged entries in reply order', () => {
    const table = new RequestTable();
    const journal = new WriteJournal(MiB);
    const [a, b, c] = [entry(table, 4096), entry(table, 4096), entry(table, 4096)];
    for (const request of [a, b, c]) journal.reserve(request);
    journal.acknowledge(c);
    journal.acknowledge(a);
    expect(journal.acknowledgedInOrder()).toEqual([c, a]);
    expect(journal.ackedBytes).toBe(8192);
    expect(journal.acknowledgedUpTo(c.ackSequence, [])).toEqual([c]);
    journal.release(c);
    journal.release(a);
    expect(journal.ackedBytes).toBe(0);
    expect(b.state).toBe(RequestState.Waiting);
  });
});
