// Kernel-initiator guest driver: prepares the cached kernel + initramfs, boots QEMU (TCG) on a lab guest port, parses the AOEKIT report.
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GuestPort, Lab } from '../../tools/lab/netlab.js';

const PREPARE_SCRIPT = fileURLToPath(new URL('../../scripts/kernel-guest.sh', import.meta.url));
/** A first run downloads ~70 MB and unpacks ~400 MB; later runs only ask apt which kernel is current. */
const PREPARE_TIMEOUT_MS = 600_000;
/** The QEMU binary: AOEKIT_GUEST_QEMU, or qemu-system-x86_64 from PATH. */
export const QEMU = process.env.AOEKIT_GUEST_QEMU ?? 'qemu-system-x86_64';

export type GuestErrorCode = 'ERR_GUEST_PREPARE' | 'ERR_GUEST_QEMU' | 'ERR_GUEST_TIMEOUT';

export class GuestError extends Error {
  readonly code: GuestErrorCode;
  constructor(code: GuestErrorCode, message: string) {
    super(message);
    this.name = 'GuestError';
    this.code = code;
  }
}

/** What scripts/kernel-guest.sh prepare prints. */
export interface GuestImage {
  kernel: string;
  initramfs: string;
  kernelVersion: string;
  kernelPackage: string;
  busyboxPackage: string;
  cache: string;
}

/** Download (once), unpack and build what the guest boots; throws ERR_GUEST_PREPARE with the script's stderr. */
export function prepareGuest(): Promise<GuestImage> {
  return new Promise((resolve, reject) => {
    execFile('bash', [PREPARE_SCRIPT, 'prepare'], { timeout: PREPARE_TIMEOUT_MS, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) {
        reject(new GuestError('ERR_GUEST_PREPARE', `scripts/kernel-guest.sh prepare failed: ${stderr.trim() || error.message}`));
        return;
      }
      resolve(JSON.parse(stdout) as GuestImage);
    });
  });
}

/** Why QEMU cannot run here, or undefined when `qemu-system-x86_64 --version` works. */
export function qemuProblem(): string | undefined {
  const probe = spawnSync(QEMU, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error) return `${QEMU} not runnable (${probe.error.message}); scripts/setup.sh installs qemu-system-x86`;
  if (probe.status !== 0) return `${QEMU} --version exited ${probe.status}: ${probe.stderr.trim()}`;
  return undefined;
}

export interface GuestOptions {
  /** MTU of the guest's virtio-net NIC (also advertised to it as host_mtu). */
  mtu: number;
  /** aoekit.* kernel parameters for the guest's /init (see scripts/kernel-guest-init.sh). */
  parameters: Record<string, string | number>;
  /** QEMU is killed (by PID) and the run fails after this long. */
  timeoutMs: number;
  memoryMiB?: number;
  /** Locally administered MAC of the guest NIC. */
  mac?: string;
}

export interface GuestReport {
  /** Everything QEMU wrote (the guest's serial console), CRs removed. */
  console: string;
  /** The guest's AOEKIT lines without the prefix, in order. */
  lines: string[];
  /** Seconds of guest uptime when /init started. */
  bootSeconds: number;
  /** Seconds from QEMU's start to the guest's first report line (firmware, kernel, /init started). */
  initWallSeconds: number;
  /** Seconds from QEMU's start to its exit. */
  wallSeconds: number;
  /** Seconds per step, as the guest timed them. */
  steps: Map<string, number>;
  /** "STEP REASON" for every failed step. */
  failures: string[];
  /** The last line: 'ok', 'failed', or undefined when the guest never got there. */
  done: string | undefined;
  /** Raw kernel log lines (`<level>[time] text`) about aoe, etherd, ext4, jbd2 and I/O errors (the first 300). */
  dmesg: string[];
  /** How many such lines the guest kernel logged in all. */
  dmesgLines: number;
  /** The AOEKIT lines but the kernel log, then the first kernel log lines that are errors: what a failure message shows. */
  summary(): string;
  /** The fields after KEY of every "KEY ..." line. */
  values(key: string): string[][];
}

/** The accelerator: TCG always, unless AOEKIT_GUEST_KVM=1 asks for KVM (CI machines may have no /dev/kvm). */
export function accelerator(): 'tcg' | 'kvm' {
  return process.env.AOEKIT_GUEST_KVM === '1' ? 'kvm' : 'tcg';
}

function qemuArgv(image: GuestImage, port: GuestPort, options: GuestOptions): string[] {
  const parameters = Object.entries(options.parameters).map(([key, value]) => `aoekit.${key}=${value}`);
  // log_buf_len: the driver's first lines (frame size, capacity) must survive an error flood.
  const append = ['console=ttyS0', 'loglevel=1', 'log_buf_len=4M', 'panic=-1', `aoekit.mtu=${options.mtu}`, ...parameters].join(' ');
  const accel = accelerator();
  return [
    QEMU,
    '-accel',
    accel === 'tcg' ? 'tcg,thread=single' : 'kvm',
    ...(accel === 'kvm' ? ['-cpu', 'host'] : []),
    '-M',
    'pc',
    '-m',
    String(options.memoryMiB ?? 256),
    '-smp',
    '1',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-monitor',
    'none',
    '-no-reboot',
    '-chardev',
    'stdio,id=console,signal=off',
    '-serial',
    'chardev:console',
    '-kernel',
    image.kernel,
    '-initrd',
    image.initramfs,
    '-append',
    append,
    '-netdev',
    `tap,id=net0,ifname=${port.tap},script=no,downscript=no`,
    '-device',
    `virtio-net-pci,netdev=net0,mac=${options.mac ?? '52:54:00:ae:00:01'},host_mtu=${options.mtu},romfile=`,
  ];
}

export function parseReport(console: string, wallSeconds: number, initWallSeconds = NaN): GuestReport {
  const lines: string[] = [];
  for (const line of console.split('\n')) {
    const match = /^AOEKIT (.*)$/.exec(line);
    if (match) lines.push(match[1]);
  }
  const values = (key: string) => lines.filter((line) => line.startsWith(`${key} `)).map((line) => line.slice(key.length + 1).split(' '));
  const steps = new Map(values('step').map(([name, seconds]) => [name, Number(seconds)]));
  return {
    console,
    summary: () => summarize(lines),
    lines,
    bootSeconds: Number(values('boot')[0]?.[0] ?? NaN),
    initWallSeconds,
    wallSeconds,
    steps,
    failures: values('fail').map((fields) => fields.join(' ')),
    done: values('done').at(-1)?.[0],
    dmesg: lines.filter((line) => line.startsWith('dmesg ')).map((line) => line.slice('dmesg '.length)),
    dmesgLines: Number(values('dmesg-lines')[0]?.[0] ?? NaN),
    values,
  };
}

/**
 * Boot the guest on `port` (inside the lab's initiator namespace, so the tap opens by name there) and wait
 * for it to power off. QEMU is a lab child: lab.destroy() stops it by PID if this run is abandoned.
 */
export function runGuest(lab: Lab, port: GuestPort, image: GuestImage, options: GuestOptions): Promise<GuestReport> {
  const started = performance.now();
  const child = lab.spawn(port.namespace, qemuArgv(image, port, options), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let initWallSeconds = NaN;
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8').replaceAll('\r', '');
    if (Number.isNaN(initWallSeconds) && output.includes('AOEKIT boot ')) initWallSeconds = (performance.now() - started) / 1000;
  });
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8').replaceAll('\r', '')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new GuestError(
          'ERR_GUEST_TIMEOUT',
          `guest did not power off within ${options.timeoutMs} ms; console (end):\n${output.slice(-4000)}`,
        ),
      );
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new GuestError('ERR_GUEST_QEMU', `cannot start ${QEMU}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const wallSeconds = (performance.now() - started) / 1000;
      if (code !== 0) {
        reject(new GuestError('ERR_GUEST_QEMU', `${QEMU} exited with ${signal ?? code}; console (end):\n${output.slice(-4000)}`));
        return;
      }
      resolve(parseReport(output, wallSeconds, initWallSeconds));
    });
  });
}

function summarize(lines: readonly string[]): string {
  const dmesg = lines.filter((line) => line.startsWith('dmesg '));
  const errors = aoeErrorLines(dmesg.map((line) => line.slice('dmesg '.length)));
  const shown = lines.filter((line) => !line.startsWith('dmesg '));
  return [...shown, `kernel log: ${dmesg.length} lines reported, ${errors.length} errors; the first errors:`, ...errors.slice(0, 20)].join(
    '\n',
  );
}

/** Kernel log lines that mean the AoE device or what sits on it went wrong. */
export function aoeErrorLines(dmesg: readonly string[]): string[] {
  return dmesg.filter((line) => {
    const level = Number(/^<(\d+)>/.exec(line)?.[1] ?? 6) & 7;
    const text = line.replace(/^<\d+>\[[^\]]*\]\s*/, '');
    if (/I\/O error|EXT4-fs error|EXT4-fs warning|JBD2: .*(error|failed)|blk_update_request/i.test(text)) return true;
    if (!/aoe|etherd/i.test(text)) return false;
    if (level <= 4) return true; // KERN_ERR and KERN_WARNING from the aoe driver: error packets, ATA errors, runts, send failures
    // KERN_INFO lines of the aoe driver that still report a fault of the target or the link.
    return /unrecognized|unknown AoE command|invalid|not up|failure|error|runt|too-large|no interfaces/i.test(text);
  });
}
