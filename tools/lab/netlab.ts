// Network lab API (types, errors, exit cleanup) and the platform dispatch to the Linux implementation.
import type { ChildProcess, SpawnOptions } from 'node:child_process';

export interface LabOptions {
  /** Name prefix for everything the lab creates: 1-16 chars [a-z0-9], starting with a letter. Default: unique per process and call. */
  prefix?: string;
  /** Number of links (veth pairs) between each initiator and the target. Default 2. */
  links?: number;
  /** MTU on every interface. Default 1500. */
  mtu?: number;
  /** tc tbf rate on both ends of every link (e.g. '1gbit'), shaping both directions. Default: unshaped. */
  rate?: string;
  /** Further initiator namespaces sharing the target's links through a bridge per link. Default 0. */
  extraInitiators?: number;
}

export interface LabLink {
  /** Interface name in every initiator namespace ('i0', 'i1', ...). */
  initiatorIf: string;
  /** Interface name in the target namespace ('t0', 't1', ...). */
  targetIf: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code; a process killed by a signal reports 128 + signal number. */
  code: number;
}

export interface ExecOptions {
  input?: string | Buffer;
  timeoutMs?: number;
}

/**
 * Which ends of a link an operation touches: 'initiator' = the first initiator namespace,
 * 'target', 'both' (first initiator + target), 'all' (every initiator + target), or one
 * initiator by role: 'ini' (first), 'ini2', 'ini3', ... (extra initiators, in order).
 */
export type LabSide = 'initiator' | 'target' | 'both' | 'all' | `ini${number}` | 'ini';

export interface DropCounter {
  namespace: string;
  /** 'loss' (ingress random drop) or 'egress' (egress drop). */
  kind: 'loss' | 'egress';
  /** Interface the rule is attached to. */
  device: string;
  packets: number;
}

/** A VM's way onto a link: a tap bridged with the initiator end of that link, in the initiator namespace. */
export interface GuestPort {
  /** The namespace holding the tap and the bridge (the first initiator namespace). */
  namespace: string;
  /** Persistent tap device for QEMU's `-netdev tap,ifname=...,script=no,downscript=no`. */
  tap: string;
  /** Bridge enslaving the tap and the link's initiator interface. */
  bridge: string;
  /** MTU of the tap and bridge (the link's MTU; setMtu changes it with the link). */
  mtu: number;
}

export interface Lab {
  readonly prefix: string;
  readonly initiatorNs: string;
  readonly targetNs: string;
  readonly extraInitiatorNs: string[];
  /** The namespace holding the bridges when extraInitiators > 0. */
  readonly switchNs: string | undefined;
  /** Every namespace of this lab. */
  readonly namespaces: string[];
  readonly links: LabLink[];
  readonly mtu: number;
  readonly rate: string | undefined;
  /** Run argv inside one of this lab's namespaces (never rejects on a non-zero exit). */
  exec(ns: string, argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Start a long-running process inside one of this lab's namespaces; destroy() stops it by PID. */
  spawn(ns: string, argv: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Set link `index` administratively up or down on the given side (default 'both'); up waits for carrier. */
  setLinkUp(index: number, up: boolean, side?: LabSide): Promise<void>;
  /** Set the MTU of every end (and switch port, and guest port) of link `index`. */
  setMtu(index: number, mtu: number): Promise<void>;
  /**
   * Put a tap for a VM on link `index`: it is bridged with the link's initiator interface, which then
   * carries the VM's frames rather than the initiator namespace's own. Removed by removeGuestPort or destroy.
   */
  addGuestPort(index: number): Promise<GuestPort>;
  /** Delete link `index`'s guest tap and bridge, by name. */
  removeGuestPort(index: number): Promise<void>;
  /**
   * Drop `percent` (0..100, 2 decimals) of AoE frames at the INGRESS of `side`'s interfaces, i.e.
   * frames travelling towards that side are lost on the wire. Replaces any earlier loss on the same
   * interfaces. `index` limits it to one link.
   */
  addLoss(percent: number, options?: { side?: LabSide; index?: number }): Promise<void>;
  clearLoss(): Promise<void>;
  /** Drop every AoE frame at the EGRESS of `side`'s interface of link `index`: its sender's send fails with ENOBUFS. */
  addEgressDrop(side: LabSide, index: number): Promise<void>;
  clearEgressDrop(): Promise<void>;
  /** Packets dropped so far by the loss/egress rules. */
  dropCounters(): Promise<DropCounter[]>;
  /** Stop spawned processes (SIGTERM, then SIGKILL), then remove the namespaces. Idempotent. */
  destroy(): Promise<void>;
}

export type NetlabErrorCode =
  | 'ENOSYS'
  | 'ERR_NETLAB_USAGE'
  | 'ERR_NETLAB_ENVIRONMENT'
  | 'ERR_NETLAB_EXISTS'
  | 'ERR_NETLAB_FAILED'
  | 'ERR_NETLAB_FOREIGN_NAMESPACE'
  | 'ERR_NETLAB_DESTROYED';

export class NetlabError extends Error {
  readonly code: NetlabErrorCode;
  constructor(code: NetlabErrorCode, message: string) {
    super(message);
    this.name = 'NetlabError';
    this.code = code;
  }
}

/** Something that can be torn down synchronously at process exit. */
export interface SyncDestroyable {
  readonly prefix: string;
  destroySync(): void;
}

const liveLabs = new Set<SyncDestroyable>();

/** Called by lab implementations; labs register on creation and unregister on destroy. */
export function trackLab(lab: SyncDestroyable, live: boolean): void {
  if (live) liveLabs.add(lab);
  else liveLabs.delete(lab);
}

/** Prefixes of the labs this process created and has not destroyed. */
export function liveLabPrefixes(): string[] {
  return [...liveLabs].map((lab) => lab.prefix);
}

/** Synchronously tear down every lab this process created (kills their processes by PID). Never throws. */
export function destroyAllLabsSync(): void {
  for (const lab of [...liveLabs]) {
    try {
      lab.destroySync();
    } catch {
      // best effort at exit: the next labs must still be removed
    }
    liveLabs.delete(lab);
  }
}

let exitCleanupInstalled = false;

/** Tear labs down on process exit, SIGINT and SIGTERM (the signal is re-raised when nobody else handles it). */
export function installLabExitCleanup(): void {
  if (exitCleanupInstalled) return;
  exitCleanupInstalled = true;
  process.on('exit', destroyAllLabsSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      destroyAllLabsSync();
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

let counter = 0;

/** A short prefix unique to this process and call: 'ak' + pid + counter in base 36. */
export function defaultLabPrefix(): string {
  counter += 1;
  return `ak${process.pid.toString(36)}${counter.toString(36)}`;
}

/** Build a lab (Linux only; root, iproute2 and, for loss injection, nftables required). */
export async function createLab(options: LabOptions = {}): Promise<Lab> {
  if (process.platform !== 'linux') {
    throw new NetlabError('ENOSYS', `network lab needs Linux network namespaces (platform is ${process.platform})`);
  }
  const { createLinuxLab } = await import('./netlab-linux.js');
  return createLinuxLab(options);
}
