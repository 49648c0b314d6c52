// The target's request-latency histogram: fixed power-of-two buckets in a typed array, filled without allocation or clock reads.

/** The smallest bucket's upper bound, in microseconds; each next bound doubles it. */
const FIRST_BOUND_MICROS = 8;
/** Finite buckets: 8 µs, 16 µs, ... 8 µs * 2^20 (about 8.4 s); one more counts everything slower (+Inf). */
export const LATENCY_BUCKETS = 21;

/** The finite upper bounds in seconds (Prometheus `le` values), smallest first. */
export const LATENCY_BOUNDS_SECONDS: readonly number[] = Array.from(
  { length: LATENCY_BUCKETS },
  (_, index) => (FIRST_BOUND_MICROS * 2 ** index) / 1e6,
);

const LARGEST_BOUND_MICROS = FIRST_BOUND_MICROS * 2 ** (LATENCY_BUCKETS - 1);

/** A histogram snapshot: `counts[i]` requests took at most LATENCY_BOUNDS_SECONDS[i] (not cumulative); the last is +Inf. */
export interface LatencySnapshot {
  boundsSeconds: readonly number[];
  counts: number[];
  count: number;
  sumSeconds: number;
}

/**
 * Time from the receive batch a request arrived in to the send batch its reply left in. The engine reads the
 * clock once per receive batch and the send queue once per send batch, so observing costs a subtraction, a
 * clz32 and an increment per reply: no clock read and no allocation per frame.
 */
export class LatencyHistogram {
  /** Per-bucket counts (not cumulative); index LATENCY_BUCKETS is +Inf. Float64: exact to 2^53. */
  readonly counts = new Float64Array(LATENCY_BUCKETS + 1);
  count = 0;
  sumMilliseconds = 0;

  /** Record one request that took `milliseconds` (a difference of two performance.now() readings). */
  observe(milliseconds: number): void {
    this.observeMany(milliseconds, 1);
  }

  /** Record `count` requests that each took `milliseconds` (the replies of one receive batch leaving together). */
  observeMany(milliseconds: number, count: number): void {
    const micros = milliseconds * 1000;
    let index: number;
    if (!(micros > FIRST_BOUND_MICROS)) index = 0;
    else if (micros > LARGEST_BOUND_MICROS) index = LATENCY_BUCKETS;
    else {
      // The smallest i with micros <= 8 * 2^i: the bit length of ceil(micros / 8) - 1.
      index = 32 - Math.clz32(Math.ceil(micros / FIRST_BOUND_MICROS) - 1);
    }
    this.counts[index] += count;
    this.count += count;
    this.sumMilliseconds += Math.max(milliseconds, 0) * count;
  }

  snapshot(): LatencySnapshot {
    return {
      boundsSeconds: LATENCY_BOUNDS_SECONDS,
      counts: Array.from(this.counts),
      count: this.count,
      sumSeconds: this.sumMilliseconds / 1000,
    };
  }
}
