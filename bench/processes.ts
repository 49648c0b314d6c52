// Benchmark processes: start aoeblade / vblade targets inside the lab's target namespace and run the client, all stopped by PID.
import { packagePath } from '../tools/package-root.js';
import { waitForUnixSocket } from '../tools/unix-socket.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import type { Lab } from '../tools/lab/netlab.js';
import { RESULT_PREFIX, type ClientRequest, type ClientResponse } from './client.js';

/** Target processes run the built library (dist/), or the aoeblade AOEKIT_BENCH_BLADE names (A/B against another build). */
const distRoot = `${packagePath('dist')}/`;
const READY_TIMEOUT_MS = 15_000;

/** 'aoeblade-nbd': aoeblade over nbdkit's memory plugin on a unix socket (backing 'ram:SIZE' gives nbdkit's size). */
export type TargetKind = 'aoeblade' | 'vblade' | 'aoeblade-nbd';

export interface TargetOptions {
  kind: TargetKind;
  shelf: number;
  slot: number;
  /** Target-side interfaces: aoeblade serves them all from one process, vblade gets one process per interface. */
  interfaces: string[];
  /** A file path (tmpfs) or, for aoeblade only, 'ram:SIZE'. */
  backing: string;
  bufferCount: number;
  /** Extra node flags for aoeblade (e.g. --cpu-prof, --cpu-prof-dir=...). */
  nodeFlags?: string[];
  /** aoeblade's worker threads (--workers); default 1. */
  workers?: number;
}

export interface RunningTarget {
  kind: TargetKind;
  pids: number[];
  /** Of `pids`, the backing-store server (nbdkit for 'aoeblade-nbd'): its CPU is also reported on its own. */
  backingServerPids: number[];
  /** The last few KiB the target(s) printed (aoeblade logs its stats when stopped). */
  output(): string;
  stop(): Promise<void>;
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => finish(new Error(`target did not report ready within ${timeoutMs} ms: ${seen.slice(-400)}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8');
      if (pattern.test(seen)) finish();
    };
    const onExit = (code: number | null): void => finish(new Error(`target exited early (code ${code}): ${seen.slice(-400)}`));
    function finish(error?: Error): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.stdout?.resume();
      child.stderr?.resume();
      if (error) reject(error);
      else resolve();
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Starts the target and resolves once it serves (aoeblade: its 'serving' log line; vblade: its start-up line). */
export async function startTarget(lab: Lab, options: TargetOptions): Promise<RunningTarget> {
  const children: ChildProcess[] = [];
  const backingServerPids: number[] = [];
  const ready: Promise<void>[] = [];
  let backing = options.backing;
  if (options.kind === 'aoeblade-nbd') {
    const nbdkit = await startNbdkitMemory(backing);
    children.push(nbdkit.child);
    backingServerPids.push(nbdkit.child.pid as number);
    backing = nbdkit.uri;
  }
  if (options.kind === 'aoeblade' || options.kind === 'aoeblade-nbd') {
    const argv = [
      process.execPath,
      ...(options.nodeFlags ?? []),
      process.env.AOEKIT_BENCH_BLADE ?? `${distRoot}cli/aoeblade.js`,
      '-b',
      String(options.bufferCount),
      '--log-level',
      'info',
      '--workers',
      String(options.workers ?? 1),
      String(options.shelf),
      String(options.slot),
      options.interfaces.join(','),
      backing,
    ];
    const child = lab.spawn(lab.targetNs, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    ready.push(waitForOutput(child, /"msg":"serving /, READY_TIMEOUT_MS));
  } else {
    if (options.backing.startsWith('ram:')) throw Object.assign(new Error('vblade needs a file, not ram:'), { code: 'ERR_BENCH_CONFIG' });
    for (const ifname of options.interfaces) {
      const argv = ['vblade', '-b', String(options.bufferCount), String(options.shelf), String(options.slot), ifname, options.backing];
      const child = lab.spawn(lab.targetNs, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      ready.push(waitForOutput(child, /sectors/, READY_TIMEOUT_MS));
    }
  }
  let tail = '';
  for (const child of children) {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        tail = (tail + chunk.toString('utf8')).slice(-16384);
      });
    }
  }
  const stopAll = async (): Promise<void> => {
    // Last started first: aoeblade flushes into nbdkit on its way out, so nbdkit must outlive it.
    for (const child of [...children].reverse()) await stopChild(child);
  };
  try {
    await Promise.all(ready);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { kind: options.kind, pids: children.map((child) => child.pid as number), backingServerPids, output: () => tail, stop: stopAll };
}

let nbdkitCounter = 0;

/**
 * nbdkit's memory plugin (flat malloc'ed memory, like ram:) on a unix socket in /tmp, for 'aoeblade-nbd'. Unix sockets are
 * not per network namespace, so aoeblade in the target namespace reaches it. --exit-with-parent: it dies with the bench.
 */
async function startNbdkitMemory(spec: string): Promise<{ child: ChildProcess; uri: string }> {
  const size = /^ram:(\d+[kmgt]?)$/i.exec(spec)?.[1];
  if (size === undefined)
    throw Object.assign(new Error(`aoeblade-nbd needs a ram:SIZE backing, got '${spec}'`), { code: 'ERR_BENCH_CONFIG' });
  const socket = `/tmp/aoekit-bench-nbdkit-${process.pid}-${nbdkitCounter++}.sock`;
  rmSync(socket, { force: true });
  const child = spawn('nbdkit', ['-f', '--exit-with-parent', '-U', socket, 'memory', `size=${size}`, 'allocator=malloc'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.once('exit', () => rmSync(socket, { force: true }));
  try {
    await waitForUnixSocket(socket, child, READY_TIMEOUT_MS);
  } catch (error) {
    await stopChild(child);
    throw Object.assign(new Error(`nbdkit did not create ${socket}: ${(error as Error).message}`), { code: 'ERR_BENCH_NBDKIT' });
  }
  return { child, uri: `nbd+unix:///?socket=${socket}` };
}

const liveClients = new Set<ChildProcess>();

/** Counts `child` as a client until it exits, so killClients() stops it too. */
export function trackClient(child: ChildProcess): void {
  liveClients.add(child);
  child.once('exit', () => liveClients.delete(child));
}

/** SIGKILL every client process still running (interrupted benchmark). */
export function killClients(): void {
  for (const child of liveClients) child.kill('SIGKILL');
  liveClients.clear();
}

/** Runs the client process (it enters the initiator namespace through the addon) and parses its JSON line. */
export async function runClientProcess(request: ClientRequest, nodeFlags: string[] = []): Promise<ClientResponse> {
  const budgetMs = request.openTimeoutMs + request.workloads.reduce((sum, spec) => sum + spec.seconds * 1000, 0) + 60_000;
  const child = spawn(process.execPath, [...nodeFlags, packagePath('dist-tools', 'bench', 'client.js'), JSON.stringify(request)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackClient(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), budgetMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  const line = stdout.split('\n').find((text) => text.startsWith(RESULT_PREFIX));
  if (line === undefined) {
    return {
      ok: false,
      error: `client exited with code ${code} and no result: ${stderr.slice(-600)}`,
      paths: 0,
      payloadBytes: [],
      results: [],
    };
  }
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as ClientResponse;
}
