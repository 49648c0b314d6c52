// Multipath policies: which up path with window space gets the next frame.
import { InitiatorError } from './errors.js';
import type { Path } from './path.js';

export type PolicyName = 'round-robin' | 'least-queue' | 'weighted' | 'failover';
export const POLICY_NAMES: readonly PolicyName[] = ['round-robin', 'least-queue', 'weighted', 'failover'];

/** pick() returns a path index, or -1 when no path may send now. `avoid` (or -1) is skipped when another path can take the frame. */
export interface Policy {
  readonly name: PolicyName;
  pick(paths: readonly Path[], avoid: number): number;
}

/** Rotate over paths frame by frame, skipping full windows (the Linux driver's rotation, but window-aware). */
class RoundRobin implements Policy {
  readonly name = 'round-robin' as const;
  private cursor = -1;
  pick(paths: readonly Path[], avoid: number): number {
    const count = paths.length;
    let fallback = -1;
    for (let step = 1; step <= count; step += 1) {
      const index = (this.cursor + step) % count;
      if (!paths[index].canSend()) continue;
      if (index === avoid) {
        fallback = index;
        continue;
      }
      this.cursor = index;
      return index;
    }
    if (fallback >= 0) this.cursor = fallback;
    return fallback;
  }
}

/** The path with the fewest frames in flight relative to its window (ties rotate). */
class LeastQueue implements Policy {
  readonly name = 'least-queue' as const;
  private cursor = 0;
  pick(paths: readonly Path[], avoid: number): number {
    const count = paths.length;
    let best = -1;
    let bestLoad = Infinity;
    this.cursor = (this.cursor + 1) % count;
    for (let step = 0; step < count; step += 1) {
      const index = (this.cursor + step) % count;
      const path = paths[index];
      if (!path.canSend()) continue;
      const load = path.inflight / path.cwnd + (index === avoid ? 2 : 0);
      if (load < bestLoad) {
        bestLoad = load;
        best = index;
      }
    }
    return best;
  }
}

/** Shortest expected delay: (bytes queued on the path + this frame) / measured delivery rate. */
class Weighted implements Policy {
  readonly name = 'weighted' as const;
  pick(paths: readonly Path[], avoid: number): number {
    let best = -1;
    let bestDelay = Infinity;
    for (let index = 0; index < paths.length; index += 1) {
      const path = paths[index];
      if (!path.canSend()) continue;
      const delay = ((path.inflight + 1) * path.payloadBytes) / (path.rate || 1) + (index === avoid ? 1e3 : 0);
      if (delay < bestDelay) {
        bestDelay = delay;
        best = index;
      }
    }
    return best;
  }
}

/** Active/passive: everything on the first up path; the next one only when it is down. */
class Failover implements Policy {
  readonly name = 'failover' as const;
  pick(paths: readonly Path[]): number {
    for (let index = 0; index < paths.length; index += 1) {
      if (paths[index].state !== 'up') continue;
      return paths[index].canSend() ? index : -1;
    }
    return -1;
  }
}

export function createPolicy(name: PolicyName | string = 'least-queue'): Policy {
  switch (name) {
    case 'round-robin':
      return new RoundRobin();
    case 'least-queue':
      return new LeastQueue();
    case 'weighted':
      return new Weighted();
    case 'failover':
      return new Failover();
    default:
      throw new InitiatorError('ERR_AOE_BAD_POLICY', `unknown policy '${name}' (use ${POLICY_NAMES.join(', ')})`);
  }
}
