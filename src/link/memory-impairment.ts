// Impairment settings, counters and the seeded PRNG used by the in-process memory hub.

/** Applied to a link's egress. Rates are probabilities in [0, 1]; delayMs holds every frame that long. */
export interface Impairment {
  lossRate?: number;
  duplicateRate?: number;
  reorderRate?: number;
  delayMs?: number;
}

export type ResolvedImpairment = Required<Impairment>;

/** What the hub did to frames, so tests can report the conditions they ran under. */
export interface ImpairmentStats {
  /** Dropped by lossRate (sender side). */
  lost: number;
  /** Extra copies sent by duplicateRate (sender side). */
  duplicated: number;
  /** Frames held back and released after later ones (sender side). */
  reordered: number;
  /** Frames that went through the delay timer (sender side). */
  delayed: number;
  /** Frames longer than MTU + 14 at the sender or the receiver. */
  oversizeDropped: number;
  /** Frames that reached a receiver whose carrier or admin state was down (lost like on a wire). */
  carrierDropped: number;
  /** Frames that found the receiver's slab full before its handler ran (also counted as kernelDrops). */
  overflowDropped: number;
}

export function emptyImpairmentStats(): ImpairmentStats {
  return { lost: 0, duplicated: 0, reordered: 0, delayed: 0, oversizeDropped: 0, carrierDropped: 0, overflowDropped: 0 };
}

export function addImpairmentStats(total: ImpairmentStats, part: ImpairmentStats): void {
  for (const key of Object.keys(total) as (keyof ImpairmentStats)[]) total[key] += part[key];
}

/** An argument error with a stable code, like Node's own. */
export class MemoryLinkError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'MemoryLinkError';
    this.code = code;
  }
}

function checkRate(name: string, value: number | undefined): number {
  const rate = value ?? 0;
  if (!(rate >= 0 && rate <= 1)) throw new MemoryLinkError('ERR_INVALID_ARG_VALUE', `${name} must be in [0, 1], got ${value}`);
  return rate;
}

export function resolveImpairment(impairment: Impairment = {}): ResolvedImpairment {
  const delayMs = impairment.delayMs ?? 0;
  if (!(delayMs >= 0 && Number.isFinite(delayMs))) {
    throw new MemoryLinkError('ERR_INVALID_ARG_VALUE', `delayMs must be a finite number >= 0, got ${impairment.delayMs}`);
  }
  return {
    lossRate: checkRate('lossRate', impairment.lossRate),
    duplicateRate: checkRate('duplicateRate', impairment.duplicateRate),
    reorderRate: checkRate('reorderRate', impairment.reorderRate),
    delayMs,
  };
}

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1), so impaired runs reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
