// Waiting for a child process (nbdkit, qemu-nbd) to listen on a unix socket, for the bench and the tests.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

/** True once the unix socket accepts a connection (its file appears at bind(), before listen()). */
function accepts(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socket);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Resolve once `socket` accepts a connection. Rejects with code 'ERR_EXITED' when `child` exits first, or
 * 'ETIMEDOUT' after `timeoutMs`; the caller words the message.
 */
export async function waitForUnixSocket(socket: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(socket) || !(await accepts(socket))) {
    if (child.exitCode !== null) throw Object.assign(new Error(`exited (${child.exitCode})`), { code: 'ERR_EXITED' });
    if (Date.now() > until) throw Object.assign(new Error(`not listening within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
