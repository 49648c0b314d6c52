// Path health watch of a device: link state and MTU events, probe frames for down paths and their replies.
import { performance } from 'node:perf_hooks';
import type { Link, LinkState } from '../link/link.js';
import { readMac } from '../wire/mac.js';
import { buildProbeFrame } from './device-stats.js';
import type { Path } from './path.js';

export interface PathWatchHooks {
  /** The path must go down (its link lost carrier or went down). */
  down(path: Path, reason: string): void;
  /** A probe on a down path was answered. */
  up(path: Path): void;
}

export class PathWatch {
  private readonly probeFrames: Buffer[];
  private readonly listeners = new Map<Link, { state: (state: LinkState) => void; mtu: (mtu: number) => void }>();

  constructor(
    private readonly paths: readonly Path[],
    private readonly target: { shelf: number; slot: number; lba48: boolean; frameCapacitySectors: number },
    private readonly hooks: PathWatchHooks,
  ) {
    this.probeFrames = this.paths.map((path) => this.buildProbe(path));
    for (const link of new Set(this.paths.map((path) => path.link))) {
      const listeners = { state: (state: LinkState) => this.onLinkState(link, state), mtu: (mtu: number) => this.onLinkMtu(link, mtu) };
      link.on('state', listeners.state);
      link.on('mtu', listeners.mtu);
      this.listeners.set(link, listeners);
    }
  }

  /** Probe every down path whose last probe is at least `intervalMs` old. */
  probeDownPaths(now: number, intervalMs: number): void {
    for (const path of this.paths) if (path.state === 'down' && now - path.lastProbeAt >= intervalMs) this.sendProbe(path, now);
  }

  close(): void {
    for (const path of this.paths) path.port.unlisten(path.probeTag);
    for (const [link, listeners] of this.listeners) {
      link.off('state', listeners.state);
      link.off('mtu', listeners.mtu);
    }
    this.listeners.clear();
  }

  private buildProbe(path: Path): Buffer {
    const { shelf, slot, lba48 } = this.target;
    path.probeTag = path.port.allocateControlTag();
    path.port.listen(path.probeTag, (reply) => {
      if (readMac(reply, 6) === path.targetMac && reply.readUInt16BE(16) === shelf && reply[18] === slot) this.hooks.up(path);
    });
    return buildProbeFrame(path, shelf, slot, lba48);
  }

  private sendProbe(path: Path, now: number): void {
    path.lastProbeAt = now;
    if (!path.link.state.up || !path.link.state.carrier) return;
    path.port.sendNow(this.probeFrames[path.index], 60);
  }

  private onLinkState(link: Link, state: LinkState): void {
    for (const path of this.paths) {
      if (path.link !== link) continue;
      if (!state.up || !state.carrier) this.hooks.down(path, 'carrier');
      else if (path.state === 'down') this.sendProbe(path, performance.now());
    }
  }

  private onLinkMtu(link: Link, mtu: number): void {
    for (const path of this.paths) if (path.link === link) path.updatePayload(mtu, this.target.frameCapacitySectors);
  }
}
