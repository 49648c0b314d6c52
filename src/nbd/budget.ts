// Byte budgets for NBD requests in flight: one shared by the whole server (waking connections as bytes come back) and each connection's ledger.

/** Bytes charged to the budgets; `waitForRoom` registers a callback run (once) the next time bytes are given back. */
export class ByteBudget {
  used = 0;
  private readonly waiters = new Set<() => void>();
  private wakeScheduled = false;

  constructor(readonly limit: number) {}

  fits(bytes: number): boolean {
    return this.used + bytes <= this.limit;
  }

  take(bytes: number): void {
    this.used += bytes;
  }

  give(bytes: number): void {
    this.used -= bytes;
    if (this.waiters.size > 0 && !this.wakeScheduled) {
      this.wakeScheduled = true;
      queueMicrotask(() => this.wake());
    }
  }

  waitForRoom(waiter: () => void): void {
    this.waiters.add(waiter);
  }

  stopWaiting(waiter: () => void): void {
    this.waiters.delete(waiter);
  }

  private wake(): void {
    this.wakeScheduled = false;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }
}

/** A request's hold on the budgets: `charge` bytes until refunded (0 after), `running` while its device work is under way. */
export interface Charged {
  charge: number;
  running: boolean;
}

/** One connection's side of the budgets: what it has charged, to its own limit and to the server's shared budget. */
export class ConnectionLedger<Item extends Charged> {
  /** Bytes charged and not given back yet. */
  charged = 0;
  private readonly live = new Set<Item>();

  constructor(
    private readonly server: ByteBudget,
    private readonly connectionLimit: number,
    private readonly smallRequestBytes: number,
  ) {}

  /**
   * Charge `cost` bytes if both budgets have room. A connection with nothing charged may always start one request
   * (so a request as large as its whole budget still runs), and one small request even when the server's budget is
   * spent (so clients that never read their replies cannot starve the others). Otherwise `wake` runs when the server
   * gets bytes back (the connection's own refunds wake it themselves).
   */
  admit(cost: number, wake: () => void): boolean {
    if (cost === 0) return true;
    if (this.charged > 0 && this.charged + cost > this.connectionLimit) return false;
    const smallLane = this.charged === 0 && cost <= this.smallRequestBytes;
    if (!this.server.fits(cost) && this.server.used > 0 && !smallLane) {
      this.server.waitForRoom(wake);
      return false;
    }
    this.charged += cost;
    this.server.take(cost);
    return true;
  }

  /** Start holding `item`'s charge (the one admit() accepted). */
  hold(item: Item): void {
    if (item.charge > 0) this.live.add(item);
  }

  /** Give an item's bytes back; false when it had nothing (left) to give. */
  refund(item: Item): boolean {
    if (item.charge === 0) return false;
    this.charged -= item.charge;
    this.server.give(item.charge);
    item.charge = 0;
    this.live.delete(item);
    return true;
  }

  /** The connection closed: give back everything not held by running work (that gives its bytes back as it ends). */
  refundIdle(wake: () => void): void {
    this.server.stopWaiting(wake);
    for (const item of [...this.live]) if (!item.running) this.refund(item);
  }
}
