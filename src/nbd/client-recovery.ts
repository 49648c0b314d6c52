// Reconnecting the NBD client: exponential backoff, drain, replay of unflushed writes, retry of lost requests, give-up after a bound.
import type { ClientConnection } from './client-connection.js';
import { NbdClientError } from './client-errors.js';
import { RequestKind, RequestState, type NbdRequest } from './client-requests.js';
import type { NbdClient } from './client.js';

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2000;
/** Once offline (gave up), keep trying, less often. */
const OFFLINE_BACKOFF_MS = 5000;
/** Replay waves: at most this many writes at once (and never two that overlap). */
const MAX_WAVE = 256;

interface Waiter {
  kind: 'drain' | 'replay';
  connection: ClientConnection;
  resolve: (ok: boolean) => void;
}

/**
 * What happens when a connection is lost (see also write-journal.ts):
 *  1. Requests in flight on it are taken off (`client.scheduler.retry`); new requests wait. Nothing fails yet.
 *  2. Reconnect with exponential backoff (50 ms doubling to 2 s).
 *  3. Wait until the connections that survived have no requests in flight, so that nothing older is still
 *     on its way while we replay.
 *  4. Replay every write that was acknowledged but not yet covered by a successful FLUSH, in reply order, in
 *     waves that never hold two overlapping writes (the server may reorder within a wave). A failure here
 *     is a write-back failure: latched, so every later FLUSH fails.
 *  5. Re-send the lost requests (reads, writes, flushes). A FLUSH re-sent now covers the replayed writes, so
 *     it vouches only for data the server really has.
 *  6. If the server is not back within `reconnectTimeoutMs`, fail the lost and waiting requests with EIO
 *     (flushes included, which latches) and go offline: new requests fail at once while reconnecting goes on
 *     every 5 s; the journal is kept, so a later reconnect still replays it.
 */
export class ClientRecovery {
  private running = false;
  private giveUpTimer: NodeJS.Timeout | null = null;
  private sleepTimer: NodeJS.Timeout | null = null;
  private sleepResolve: (() => void) | null = null;
  private waiter: Waiter | null = null;
  private replayOutstanding = 0;
  private lastError: NbdClientError | null = null;
  private readonly overlapStarts: number[] = [];
  private readonly overlapEnds: number[] = [];

  constructor(private readonly client: NbdClient) {}

  connectionLost(connection: ClientConnection, error: NbdClientError): void {
    const client = this.client;
    for (const request of client.scheduler.table.requests) {
      if (request.connection !== connection || request.state !== RequestState.InFlight) continue;
      request.connection = null;
      if (request.kind === RequestKind.Write && request.segmentCount === 0) {
        // A replayed write: still acknowledged and in the journal; the next replay sends it again.
        request.state = RequestState.Acked;
        this.replayOutstanding -= 1;
        continue;
      }
      request.state = RequestState.Waiting;
      client.scheduler.retry.push(request);
    }
    if (client.state === 'closing' || client.state === 'closed') {
      client.scheduler.failWaiting(new NbdClientError('the NBD client is closed', 'ESHUTDOWN'));
      return;
    }
    this.lastError = error;
    client.logger.warn(
      { nbd: client.target.uri, reason: error.message, lostRequests: client.scheduler.retry.length },
      'NBD connection lost; reconnecting',
    );
    this.progress();
    if (client.state === 'ready') {
      client.state = 'recovering';
      this.giveUpTimer = setTimeout(() => this.giveUp(), client.options.reconnectTimeoutMs);
    }
    void this.run();
  }

  /** Called after every reply: wakes the drain or replay wait when it is over. Cheap when nothing waits. */
  progress(): void {
    const waiter = this.waiter;
    if (waiter === null) return;
    let done: boolean | undefined;
    if (!waiter.connection.alive) done = false;
    else if (waiter.kind === 'replay') done = this.replayOutstanding === 0 ? true : undefined;
    else if (this.client.connections.every((other) => other === waiter.connection || other.inflight === 0)) done = true;
    if (done === undefined) return;
    this.waiter = null;
    waiter.resolve(done);
  }

  /** A replayed write was answered. */
  replayed(request: NbdRequest, error: NbdClientError | null): void {
    this.replayOutstanding -= 1;
    request.state = RequestState.Acked;
    if (error !== null) {
      this.client.scheduler.latch(error);
      this.client.scheduler.journal.release(request);
      this.client.scheduler.table.release(request);
    }
    this.progress();
  }

  offlineError(): NbdClientError {
    const client = this.client;
    const cause = this.lastError === null ? '' : ` (${this.lastError.message})`;
    return new NbdClientError(
      `the NBD server at ${client.target.uri} was not back within ${client.options.reconnectTimeoutMs / 1000} s${cause}`,
      'EIO',
    );
  }

  stop(): void {
    if (this.giveUpTimer !== null) clearTimeout(this.giveUpTimer);
    this.giveUpTimer = null;
    if (this.sleepTimer !== null) clearTimeout(this.sleepTimer);
    this.sleepResolve?.();
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.resolve(false);
  }

  private get active(): boolean {
    return this.client.state === 'recovering' || this.client.state === 'offline';
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const client = this.client;
    let delay = FIRST_BACKOFF_MS;
    try {
      while (this.active) {
        let connection: ClientConnection;
        try {
          connection = await client.dial();
        } catch (error) {
          this.lastError = error instanceof NbdClientError ? error : new NbdClientError(String(error), 'EIO');
          await this.sleep(delay);
          delay = Math.min(delay * 2, client.state === 'offline' ? OFFLINE_BACKOFF_MS : MAX_BACKOFF_MS);
          continue;
        }
        if (!this.active) {
          connection.destroy();
          return;
        }
        client.scheduler.counters.reconnects += 1;
        if (!(await this.wait('drain', connection))) continue;
        if (!(await this.replay(connection))) continue;
        this.resume();
        return;
      }
    } finally {
      this.running = false;
    }
  }

  private wait(kind: Waiter['kind'], connection: ClientConnection): Promise<boolean> {
    return new Promise((resolve) => {
      this.waiter = { kind, connection, resolve };
      this.progress();
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleepResolve = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }

  /** Re-send acknowledged, unflushed writes in reply order; overlapping ones never share a wave. */
  private async replay(connection: ClientConnection): Promise<boolean> {
    const client = this.client;
    const entries = client.scheduler.journal.acknowledgedInOrder();
    if (entries.length === 0) return true;
    client.logger.info(
      { nbd: client.target.uri, writes: entries.length, bytes: client.scheduler.journal.ackedBytes },
      'replaying writes not yet covered by a flush',
    );
    let index = 0;
    while (index < entries.length) {
      this.overlapStarts.length = 0;
      this.overlapEnds.length = 0;
      let waveBytes = 0;
      while (index < entries.length && this.overlapStarts.length < MAX_WAVE) {
        const entry = entries[index];
        if (entry.state !== RequestState.Acked || entry.journalRecord < 0) {
          index += 1;
          continue;
        }
        if (this.overlaps(entry.position, entry.position + entry.length)) break;
        if (waveBytes > 0 && waveBytes + entry.length > client.options.maxBytesInFlight) break;
        this.overlapStarts.push(entry.position);
        this.overlapEnds.push(entry.position + entry.length);
        waveBytes += entry.length;
        index += 1;
        this.replayOutstanding += 1;
        client.scheduler.counters.replayedWrites += 1;
        connection.queue(entry);
      }
      if (!(await this.wait('replay', connection))) return false;
    }
    return true;
  }

  private overlaps(start: number, end: number): boolean {
    for (let index = 0; index < this.overlapStarts.length; index += 1) {
      if (start < this.overlapEnds[index] && this.overlapStarts[index] < end) return true;
    }
    return false;
  }

  /** Back in business: re-send what was lost, then start what waited. */
  private resume(): void {
    const client = this.client;
    if (this.giveUpTimer !== null) clearTimeout(this.giveUpTimer);
    this.giveUpTimer = null;
    client.state = 'ready';
    const lost = client.scheduler.retry.splice(0);
    client.scheduler.counters.retriedRequests += lost.length;
    client.logger.info({ nbd: client.target.uri, retried: lost.length, connections: client.connections.length }, 'NBD server reconnected');
    for (const request of lost) {
      client.pickConnection().queue(request);
    }
    client.scheduler.pump();
    void client.topUp();
  }

  private giveUp(): void {
    this.giveUpTimer = null;
    const client = this.client;
    if (client.state !== 'recovering') return;
    client.state = 'offline';
    const error = this.offlineError();
    client.logger.error({ nbd: client.target.uri, err: error }, 'NBD server unreachable: failing requests with EIO, still reconnecting');
    client.scheduler.failWaiting(error);
  }
}
