// Start nbdkit / qemu-nbd on a unix socket for tests, wait for the socket, stop by PID; kill -9 and restart for fault tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { once } from 'node:events';
import { waitForUnixSocket } from '../../tools/unix-socket.js';

export interface NbdServerProcess {
  socket: string;
  uri: string;
  child: ChildProcess;
  /** Output the process printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of started)
    if (child.exitCode === null && child.pid)
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
});

async function waitForSocket(socket: string, child: ChildProcess, output: () => string, timeoutMs = 10_000): Promise<void> {
  try {
    await waitForUnixSocket(socket, child, timeoutMs);
  } catch (error) {
    throw new Error(`${child.spawnfile} did not listen on ${socket}: ${(error as Error).message}: ${output()}`);
  }
}

/** Run `argv` (nbdkit/qemu-nbd, told to listen on `socket`) and resolve once the socket exists. */
export async function startNbdProcess(argv: string[], socket: string, exportName = ''): Promise<NbdServerProcess> {
  rmSync(socket, { force: true });
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-4000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-4000);
  });
  child.once('exit', () => started.delete(child));
  const output = () => text;
  await waitForSocket(socket, child, output);
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = once(child, 'exit');
    process.kill(child.pid, signal);
    await exited;
  };
  return {
    socket,
    uri: `nbd+unix:///${encodeURIComponent(exportName)}?socket=${socket}`,
    child,
    output,
    stop: () => end('SIGTERM'),
    kill9: () => end('SIGKILL'),
  };
}

/** nbdkit in the foreground on a unix socket: nbdkit(['memory', 'size=64M'], socket). */
export function startNbdkit(args: string[], socket: string, extra: string[] = []): Promise<NbdServerProcess> {
  return startNbdProcess(['nbdkit', '-f', ...extra, '-U', socket, ...args], socket);
}
