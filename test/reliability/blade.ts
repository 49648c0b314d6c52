// Helpers for the reliability lab suites: start/kill aoeblade in the target namespace, hash files, read its control-socket stats.
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../../tools/lab/netlab.js';

/** The aoeblade under test (AOEKIT_BLADE overrides it, e.g. to check that a deliberately broken build turns the suite red). */
export const BLADE = process.env.AOEKIT_BLADE ?? fileURLToPath(new URL('../../dist/cli/aoeblade.js', import.meta.url));
export const MiB = 1024 * 1024;
/**
 * Worker threads for every aoeblade these suites start (AOEKIT_TEST_WORKERS, default 1). vitest.config.ts runs the
 * multi-NIC suites a second time with 2; a test that passes --workers itself keeps its own.
 */
export const TEST_WORKERS = Number(process.env.AOEKIT_TEST_WORKERS ?? 1);

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export interface Blade {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
}

export function requireBuild(): void {
  if (!fs.existsSync(BLADE)) throw new Error(`${BLADE} missing: run npm run build:ts first`);
}

/** Start aoeblade in the target namespace and wait for its "serving" log line. */
export async function startBlade(lab: Lab, args: string[], blades: Blade[] = []): Promise<Blade> {
  const workers = args.includes('--workers') ? [] : ['--workers', String(TEST_WORKERS)];
  const child = lab.spawn(lab.targetNs, [process.execPath, BLADE, '--log-level', 'info', ...workers, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const blade: Blade = { child, pid: child.pid!, output: () => output, exited };
  blades.push(blade);
  const deadline = Date.now() + 10_000;
  while (!output.includes('"msg":"serving')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`aoeblade did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  if (workers.length > 0) checkThreads(output);
  return blade;
}

/**
 * aoeblade must really serve with AOEKIT_TEST_WORKERS threads (at most one per NIC; one when an export is NBD-backed),
 * or the workers run of the suites would prove nothing.
 */
function checkThreads(output: string): void {
  const entries = output
    .split('\n')
    .filter((line) => line.includes('"msg":"serving'))
    .map((line) => JSON.parse(line) as { nics: string[]; threads?: number; store: string });
  const nics = new Set(entries.flatMap((entry) => entry.nics.map((nic) => nic.split(' ')[0])));
  const expected = entries.some((entry) => entry.store.startsWith('nbd ')) ? 1 : Math.min(TEST_WORKERS, nics.size);
  for (const entry of entries) {
    if (entry.threads !== expected) throw new Error(`aoeblade serves with ${entry.threads} thread(s), expected ${expected}:\n${output}`);
  }
}

/** SIGKILL every blade still running (by PID, only ours). */
export async function killBlades(blades: Blade[]): Promise<void> {
  for (const blade of blades) if (blade.child.exitCode === null && blade.child.signalCode === null) blade.child.kill('SIGKILL');
  await Promise.all(blades.map((blade) => blade.exited));
}

export function alive(blade: Blade): boolean {
  return blade.child.exitCode === null && blade.child.signalCode === null;
}

/** One {"cmd":"stats"} round trip on aoeblade's control socket. */
export function controlStats(
  socketPath: string,
): Promise<{ exports: Array<Record<string, number>>; nics: Array<Record<string, number> & { name: string }> }> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath, () => socket.write('{"cmd":"stats"}\n'));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) {
        socket.end();
        try {
          const parsed = JSON.parse(text.split('\n')[0]);
          resolve(parsed.stats ?? parsed);
        } catch (error) {
          reject(error);
        }
      }
    });
    socket.on('error', reject);
  });
}

/** A sparse backing file of `size` bytes (tmpfs: visible from every namespace). */
export function sparseFile(file: string, size: number): string {
  fs.writeFileSync(file, Buffer.alloc(0));
  fs.truncateSync(file, size);
  return file;
}

export function hashFileRange(file: string, start: number, length: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, start);
    return sha256(buffer);
  } finally {
    fs.closeSync(fd);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
