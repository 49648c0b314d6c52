// The device queue all NBD connections share: requests in chunks, round robin, under a byte cap; a closed connection's queued chunks are dropped.

/** A unit of work dropped because its connection closed before it reached the device. */
export class CancelledError extends Error {
  readonly code = 'ERR_NBD_CANCELLED';
  constructor() {
    super('request cancelled: its connection closed');
    this.name = 'CancelledError';
  }
}

interface Unit {
  cost: number;
  task: () => Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface IoSchedulerOptions {
  /** Bytes of chunks issued to the device at once (at least one chunk always goes). Default 16 MiB. */
  maxIssuedBytes?: number;
  /** Requests are split at multiples of this (a multiple of 512). Default 1 MiB. */
  chunkBytes?: number;
}

/**
 * Requests are split into chunks that go to the device round robin across connections, with at most maxIssuedBytes
 * there at once: one client's 32 MiB requests cannot hold another's 512-byte read for long, and when a connection
 * closes, its chunks still queued here never reach the device.
 */
export class IoScheduler {
  readonly maxIssuedBytes: number;
  readonly chunkBytes: number;
  /** Per owner (connection) FIFO; Map order is the round-robin order. */
  private readonly queues = new Map<object, Unit[]>();
  private issued = 0;
  private cancelledUnits = 0;

  constructor(options: IoSchedulerOptions = {}) {
    this.maxIssuedBytes = options.maxIssuedBytes ?? 16 * 1024 * 1024;
    this.chunkBytes = options.chunkBytes ?? 1024 * 1024;
  }

  /** Bytes of chunks at the device right now. */
  get issuedBytes(): number {
    return this.issued;
  }

  /** Chunks dropped so far because their connection closed first. */
  get cancelled(): number {
    return this.cancelledUnits;
  }

  /** Queue one unit of device work for `owner`; settles as the work does, or rejects with CancelledError. */
  run(owner: object, cost: number, task: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let queue = this.queues.get(owner);
      if (!queue) this.queues.set(owner, (queue = []));
      queue.push({ cost, task, resolve, reject });
      this.pump();
    });
  }

  /**
   * Split [offset, offset + length) at multiples of the chunk size and queue `task(pieceOffset, pieceLength)` per piece.
   * Resolves when every piece succeeded; otherwise rejects with the first failure once all have settled.
   */
  async runChunked(owner: object, offset: number, length: number, task: (offset: number, length: number) => Promise<void>): Promise<void> {
    const pieces: Promise<void>[] = [];
    const end = offset + length;
    for (let position = offset; position < end; ) {
      const next = Math.min(end, (Math.floor(position / this.chunkBytes) + 1) * this.chunkBytes);
      const pieceOffset = position;
      pieces.push(this.run(owner, next - position, () => task(pieceOffset, next - pieceOffset)));
      position = next;
    }
    const results = await Promise.allSettled(pieces);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** Drop every unit of `owner` not issued yet (they reject with CancelledError); units at the device run to completion. */
  cancel(owner: object): number {
    const queue = this.queues.get(owner);
    if (!queue) return 0;
    this.queues.delete(owner);
    const error = new CancelledError();
    for (const unit of queue) unit.reject(error);
    this.cancelledUnits += queue.length;
    return queue.length;
  }

  private pump(): void {
    while (this.queues.size > 0) {
      const [owner, queue] = this.queues.entries().next().value as [object, Unit[]];
      const unit = queue[0];
      if (this.issued > 0 && this.issued + unit.cost > this.maxIssuedBytes) return;
      queue.shift();
      // Round robin: the owner goes to the back of the line (or leaves it when its queue is empty).
      this.queues.delete(owner);
      if (queue.length > 0) this.queues.set(owner, queue);
      this.issue(unit);
    }
  }

  private issue(unit: Unit): void {
    this.issued += unit.cost;
    let running: Promise<void>;
    try {
      running = unit.task();
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(unit.resolve, unit.reject).finally(() => {
      this.issued -= unit.cost;
      this.pump();
    });
  }
}
