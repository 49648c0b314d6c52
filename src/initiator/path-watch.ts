// Path health watch of a device: link state and MTU events, probe frames for down paths and their replies.
import { performance } from 'node:perf_hooks';
import type { Link, LinkState } from '../link/link.js';
import { writeAtaRequest } from '../wire/ata-arg.js';
import { AtaCommand, AtaFlag, Command, ETHERNET_MIN_FRAME } from '../wire/constants.js';
import { readShelf, readSlot, readSourceMac, writeHeader } from '../wire/frame-header.js';
import type { Path } from './path.js';

export interface PathWatchHooks {
  /** The path must go down (its link lost carrier or went down). */
  down(path: Path, reason: string): void;
  /** A probe on a down path was answered. */
  up(path: Path): void;
}

/** Probe for a down path: a 1-sector READ at LBA 0 (proves the data path, unlike a Query Config a half-dead target may still answer). */
export function buildProbeFrame(path: Path, tag: number, lba48: boolean): Buffer {
  const frame = Buffer.alloc(ETHERNET_MIN_FRAME);
  writeHeader(frame, 0, path.targetMac, path.localMac, 0, path.shelf, path.slot, Command.Ata, tag);
  writeAtaRequest(frame, 0, lba48 ? AtaFlag.Extended : 0, 1, lba48 ? AtaCommand.ReadSectorsExt : AtaCommand.ReadSectors, 0);
  return frame;
}

export class PathWatch {
  /** Per path: the control-plane tag its probes carry, and the probe frame. */
  private readonly probeTags: number[];
  private readonly probeFrames: Buffer[];
  private readonly listeners = new Map<Link, { state: (state: LinkState) => void; mtu: (mtu: number) => void }>();

  constructor(
    private readonly paths: readonly Path[],
    private readonly target: { lba48: boolean; frameCapacitySectors: number },
    private readonly hooks: PathWatchHooks,
  ) {
    this.probeTags = this.paths.map((path) => this.listenForProbeReplies(path));
    this.probeFrames = this.paths.map((path) => buildProbeFrame(path, this.probeTags[path.index], this.target.lba48));
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
    for (const path of this.paths) path.port.unlisten(this.probeTags[path.index]);
    for (const [link, listeners] of this.listeners) {
      link.off('state', listeners.state);
      link.off('mtu', listeners.mtu);
    }
    this.listeners.clear();
  }

  /** A fresh probe tag for `path`; any reply to it from the path's target and device brings the path up. */
  private listenForProbeReplies(path: Path): number {
    const tag = path.port.allocateControlTag();
    path.port.listen(tag, (reply) => {
      if (readSourceMac(reply, 0) === path.targetMac && readShelf(reply, 0) === path.shelf && readSlot(reply, 0) === path.slot)
        this.hooks.up(path);
    });
    return tag;
  }

  private sendProbe(path: Path, now: number): void {
    path.onProbeSent(now);
    if (!path.link.state.up || !path.link.state.carrier) return;
    path.port.sendNow(this.probeFrames[path.index], ETHERNET_MIN_FRAME);
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
