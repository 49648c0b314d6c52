// Linux network lab: drives scripts/netlab.sh (the single source of truth) and runs processes in its namespaces.
import { packagePath } from '../package-root.js';
import { execFile, execFileSync, spawn as spawnChild } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import {
  NetlabError,
  defaultLabPrefix,
  trackLab,
  type DropCounter,
  type ExecOptions,
  type ExecResult,
  type GuestPort,
  type Lab,
  type LabLink,
  type LabOptions,
  type LabSide,
  type NetlabErrorCode,
  type SyncDestroyable,
} from './netlab.js';

/** The lab script of this checkout (the same from source and from dist-tools/). */
const scriptPath = packagePath('scripts', 'netlab.sh');
const SCRIPT_TIMEOUT_MS = 60_000;
const KILL_GRACE_MS = 2_000;
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Exit codes of netlab.sh (see its header). */
const exitCodeErrors: Record<number, NetlabErrorCode> = {
  2: 'ERR_NETLAB_USAGE',
  3: 'ERR_NETLAB_ENVIRONMENT',
  4: 'ERR_NETLAB_EXISTS',
};

interface LabDescription {
  prefix: string;
  mtu: number;
  rate: string | null;
  initiatorNs: string;
  targetNs: string;
  extraInitiatorNs: string[];
  switchNs: string | null;
  interfaces: LabLink[];
}

interface RawExecResult extends ExecResult {
  spawnError: NodeJS.ErrnoException | undefined;
}

function run(file: string, args: readonly string[], options: ExecOptions = {}): Promise<RawExecResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { encoding: 'utf8', maxBuffer: MAX_OUTPUT_BYTES, timeout: options.timeoutMs ?? 0, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const failure = error as (NodeJS.ErrnoException & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
        let code = 0;
        let spawnError: NodeJS.ErrnoException | undefined;
        if (failure) {
          if (typeof failure.code === 'number') code = failure.code;
          else if (failure.signal) code = 128 + (osConstants.signals[failure.signal] ?? 0);
          else if (typeof failure.code === 'string' && failure.code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
            spawnError = failure;
            code = 127;
          } else code = 1;
        }
        resolve({ stdout, stderr, code, spawnError });
      },
    );
    child.stdin?.end(options.input); // EOF at once when there is no input, so nothing waits on stdin
  });
}

async function netlab(args: readonly string[]): Promise<string> {
  if (!existsSync(scriptPath)) throw new NetlabError('ERR_NETLAB_ENVIRONMENT', `netlab script not found at ${scriptPath}`);
  const result = await run('bash', [scriptPath, ...args], { timeoutMs: SCRIPT_TIMEOUT_MS });
  if (result.spawnError) {
    throw new NetlabError('ERR_NETLAB_ENVIRONMENT', `cannot run bash for netlab: ${result.spawnError.message}`);
  }
  if (result.code !== 0) {
    const reason = result.stderr.trim() || `exit code ${result.code}`;
    throw new NetlabError(exitCodeErrors[result.code] ?? 'ERR_NETLAB_FAILED', `netlab ${args.join(' ')}: ${reason}`);
  }
  return result.stdout;
}

class LinuxLab implements Lab, SyncDestroyable {
  readonly prefix: string;
  readonly initiatorNs: string;
  readonly targetNs: string;
  readonly extraInitiatorNs: string[];
  readonly switchNs: string | undefined;
  readonly namespaces: string[];
  readonly links: LabLink[];
  readonly mtu: number;
  readonly rate: string | undefined;
  private readonly children = new Set<ChildProcess>();
  private destroying: Promise<void> | undefined;

  constructor(description: LabDescription) {
    this.prefix = description.prefix;
    this.initiatorNs = description.initiatorNs;
    this.targetNs = description.targetNs;
    this.extraInitiatorNs = description.extraInitiatorNs;
    this.switchNs = description.switchNs ?? undefined;
    this.links = description.interfaces;
    this.mtu = description.mtu;
    this.rate = description.rate ?? undefined;
    this.namespaces = [this.initiatorNs, ...this.extraInitiatorNs, this.targetNs];
    if (this.switchNs !== undefined) this.namespaces.push(this.switchNs);
  }

  private checkUsable(ns?: string): void {
    if (this.destroying) throw new NetlabError('ERR_NETLAB_DESTROYED', `lab ${this.prefix} has been destroyed`);
    if (ns !== undefined && !this.namespaces.includes(ns)) {
      throw new NetlabError('ERR_NETLAB_FOREIGN_NAMESPACE', `namespace '${ns}' does not belong to lab ${this.prefix}`);
    }
  }

  async exec(ns: string, argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.checkUsable(ns);
    const result = await run('ip', ['netns', 'exec', ns, ...argv], options);
    if (result.spawnError) throw new NetlabError('ERR_NETLAB_ENVIRONMENT', `cannot run ip: ${result.spawnError.message}`);
    return { stdout: result.stdout, stderr: result.stderr, code: result.code };
  }

  spawn(ns: string, argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    this.checkUsable(ns);
    // `ip netns exec` execs argv in place, so the child's PID is the program's PID.
    const child = spawnChild('ip', ['netns', 'exec', ns, ...argv], options);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    child.once('error', () => this.children.delete(child));
    return child;
  }

  async setLinkUp(index: number, up: boolean, side: LabSide = 'both'): Promise<void> {
    this.checkUsable();
    await netlab(['link', this.prefix, String(index), up ? 'up' : 'down', '--side', side]);
  }

  async setMtu(index: number, mtu: number): Promise<void> {
    this.checkUsable();
    await netlab(['mtu', this.prefix, String(index), String(mtu)]);
  }

  async addGuestPort(index: number): Promise<GuestPort> {
    this.checkUsable();
    return JSON.parse(await netlab(['guest-port', this.prefix, String(index)])) as GuestPort;
  }

  async removeGuestPort(index: number): Promise<void> {
    this.checkUsable();
    await netlab(['guest-port-del', this.prefix, String(index)]);
  }

  async addLoss(percent: number, options: { side?: LabSide; index?: number } = {}): Promise<void> {
    this.checkUsable();
    const args = ['loss', this.prefix, percent.toFixed(2), '--side', options.side ?? 'both'];
    if (options.index !== undefined) args.push('--index', String(options.index));
    await netlab(args);
  }

  async clearLoss(): Promise<void> {
    this.checkUsable();
    await netlab(['loss-clear', this.prefix]);
  }

  async addEgressDrop(side: LabSide, index: number): Promise<void> {
    this.checkUsable();
    await netlab(['egress-drop', this.prefix, side, String(index)]);
  }

  async clearEgressDrop(): Promise<void> {
    this.checkUsable();
    await netlab(['egress-clear', this.prefix]);
  }

  async dropCounters(): Promise<DropCounter[]> {
    this.checkUsable();
    const output = await netlab(['counters', this.prefix]);
    return output
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [namespace = '', table = '', device = '', packets = '0'] = line.trim().split(/\s+/);
        return { namespace, kind: table.endsWith('_egress') ? 'egress' : 'loss', device, packets: Number(packets) };
      });
  }

  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  private async teardown(): Promise<void> {
    await Promise.all([...this.children].map((child) => stopChild(child)));
    await netlab(['down', this.prefix]);
    trackLab(this, false);
  }

  destroySync(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.children.clear();
    execFileSync('bash', [scriptPath, 'down', this.prefix], { stdio: 'ignore', timeout: SCRIPT_TIMEOUT_MS });
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the child has exited. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function createLinuxLab(options: LabOptions): Promise<Lab> {
  const prefix = options.prefix ?? defaultLabPrefix();
  const args = ['up', prefix, '--links', String(options.links ?? 2), '--mtu', String(options.mtu ?? 1500)];
  if (options.rate !== undefined) args.push('--rate', options.rate);
  if (options.extraInitiators) args.push('--extra-initiators', String(options.extraInitiators));
  const output = await netlab(args);
  const lab = new LinuxLab(JSON.parse(output) as LabDescription);
  trackLab(lab, true);
  return lab;
}
