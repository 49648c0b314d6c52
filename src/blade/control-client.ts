// The client side of aoeblade's control socket: one {"cmd":"stats"} request, its JSON answer, and errors that say what to do.
import net from 'node:net';
import type { TargetStats } from './stats.js';

const DEFAULT_TIMEOUT_MS = 5000;
/** An answer longer than this is not a stats line: the peer is not aoeblade. */
const MAX_ANSWER = 64 * 1024 * 1024;

export interface ControlRequestOptions {
  /** Give up after this long (ETIMEDOUT). Default 5000 ms. */
  timeoutMs?: number;
}

function controlError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** What the socket error means for someone asking aoeblade for its stats. */
function explain(socketPath: string, error: NodeJS.ErrnoException): Error {
  const code = error.code ?? 'EIO';
  switch (code) {
    case 'ENOENT':
      return controlError(code, `no control socket at ${socketPath} (start aoeblade with --control-socket ${socketPath})`);
    case 'ECONNREFUSED':
      return controlError(code, `nothing answers on ${socketPath} (a socket left by an aoeblade that is gone?)`);
    case 'EACCES':
    case 'EPERM':
      return controlError(code, `cannot open ${socketPath}: permission denied (the socket is mode 0600: run as aoeblade's user)`);
    case 'ENOTSOCK':
      return controlError(code, `${socketPath} is not a socket`);
    default:
      return controlError(code, `cannot ask ${socketPath}: ${error.message}`);
  }
}

/** Send one JSON request line and resolve with the parsed answer line. */
export function requestControl(socketPath: string, request: object, options: ControlRequestOptions = {}): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let answer = '';
    let settled = false;
    const finish = (error: Error | null, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(() => finish(controlError('ETIMEDOUT', `no answer from ${socketPath} within ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(explain(socketPath, error)));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      const newline = answer.indexOf('\n');
      if (newline < 0) {
        if (answer.length > MAX_ANSWER) finish(controlError('ERR_AOE_CONTROL', `${socketPath} sent no answer line (not aoeblade?)`));
        return;
      }
      try {
        finish(null, JSON.parse(answer.slice(0, newline)));
      } catch {
        finish(controlError('ERR_AOE_CONTROL', `${socketPath} answered with something that is not JSON (not aoeblade?)`));
      }
    });
    socket.on('end', () => finish(controlError('ERR_AOE_CONTROL', `${socketPath} closed the connection without answering`)));
  });
}

/** aoeblade's stats through its control socket (`{"cmd":"stats"}`). */
export async function requestTargetStats(socketPath: string, options: ControlRequestOptions = {}): Promise<TargetStats> {
  const answer = (await requestControl(socketPath, { cmd: 'stats' }, options)) as { ok?: unknown; stats?: unknown; error?: unknown };
  if (answer?.ok !== true || typeof answer.stats !== 'object' || answer.stats === null) {
    throw controlError('ERR_AOE_CONTROL', `${socketPath} refused the stats request: ${String(answer?.error ?? 'no stats in the answer')}`);
  }
  return answer.stats as TargetStats;
}
