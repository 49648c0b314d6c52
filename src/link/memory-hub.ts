// The in-process Ethernet segment the simulated links attach to: MAC assignment, routing by destination, one seeded PRNG.
import { isGroupDestination, readDestinationMac } from '../wire/frame-header.js';
import { addImpairmentStats, emptyImpairmentStats, seededRandom, type ImpairmentStats } from './memory-impairment.js';
import { MemoryLink, type MemoryLinkOptions } from './memory-link.js';

const LOCAL_MAC_BASE = 0x020000000000;

export interface MemoryHubOptions {
  /** PRNG seed for every impairment decision on this hub (default 1). */
  seed?: number;
}

/** A shared L2 segment: broadcast/multicast reaches every other link, unicast the links with that MAC. */
export class MemoryHub {
  readonly seed: number;
  /** @internal Draws every impairment decision, in send order. */
  readonly random: () => number;
  private readonly links = new Set<MemoryLink>();
  private nextMacSuffix = 1;

  constructor(options: MemoryHubOptions = {}) {
    this.seed = options.seed ?? 1;
    this.random = seededRandom(this.seed);
  }

  attach(name: string, options: MemoryLinkOptions = {}): MemoryLink {
    const mac = options.mac ?? LOCAL_MAC_BASE + this.nextMacSuffix++;
    const link = new MemoryLink(this, name, mac, options);
    this.links.add(link);
    return link;
  }

  /** Links currently attached, in attach order. */
  get attached(): MemoryLink[] {
    return [...this.links];
  }

  /** Sum of every attached link's impairment counters. */
  impairmentStats(): ImpairmentStats {
    const total = emptyImpairmentStats();
    for (const link of this.links) addImpairmentStats(total, link.impairmentStats());
    return total;
  }

  /** @internal */
  detach(link: MemoryLink): void {
    this.links.delete(link);
  }

  /** @internal Put one frame on the segment: every matching receiver copies it into its slab. */
  route(sender: MemoryLink, frame: Uint8Array, length: number): void {
    const destination = readDestinationMac(frame, 0);
    const group = isGroupDestination(frame, 0);
    for (const link of this.links) {
      if (link !== sender && (group || link.mac === destination)) link.receiveFromWire(frame, length);
    }
  }
}
