// A local unix control socket answering `{"cmd":"stats"}` lines with JSON; peers that do not read are paused, connections capped.
import fs from 'node:fs';
import net from 'node:net';
import type { TargetStats } from './stats.js';

/** Connections served at once; more are closed at once. */
export const DEFAULT_CONTROL_CONNECTIONS = 16;
/** A request line longer than this closes the connection. */
const MAX_LINE = 64 * 1024;
/** How long to wait for a socket already at the path to answer, to tell a live server from a stale file. */
const PROBE_MS = 500;

export interface ControlSocket {
  readonly path: string;
  /** Connections open right now. */
  readonly connections: number;
  /** Answer bytes written and not yet taken by the peers (bounded: a peer that does not read is paused). */
  readonly bufferedBytes: number;
  close(): Promise<void>;
}

export interface ControlSocketOptions {
  /** Default 16. */
  maxConnections?: number;
}

function controlError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** True when something accepts connections at `socketPath` (a live server), false for a stale socket file. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    const done = (live: boolean) => {
      clearTimeout(timer);
      probe.destroy();
      resolve(live);
    };
    const timer = setTimeout(() => done(true), PROBE_MS);
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
  });
}

/**
 * Make room for the socket: nothing there, or a stale socket from a killed run (removed). A regular file, a directory
 * or a socket some live process answers on is refused (EEXIST / EADDRINUSE), never replaced.
 */
async function clearPath(socketPath: string): Promise<void> {
  let existing: fs.Stats;
  try {
    existing = fs.lstatSync(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw controlError(`control socket ${socketPath}: ${(error as Error).message}`, (error as NodeJS.ErrnoException).code ?? 'EIO');
  }
  if (!existing.isSocket())
    throw controlError(`control socket ${socketPath} exists and is not a socket (refusing to replace it)`, 'EEXIST');
  if (await answers(socketPath)) throw controlError(`control socket ${socketPath} is in use by another process`, 'EADDRINUSE');
  fs.unlinkSync(socketPath);
}

/** Commands: {"cmd":"stats"} -> {"ok":true,"stats":{...}}; {"cmd":"ping"} -> {"ok":true}; anything else -> {"ok":false,"error":"..."}. */
export async function openControlSocket(
  socketPath: string,
  stats: StatsSource,
  options: ControlSocketOptions = {},
): Promise<ControlSocket> {
  const maxConnections = options.maxConnections ?? DEFAULT_CONTROL_CONNECTIONS;
  await clearPath(socketPath);
  const connections = new Set<net.Socket>();
  // Half-open: a peer that sends its last request and shuts down its side still gets the answer.
  const server = net.createServer({ allowHalfOpen: true }, (connection) => {
    if (connections.size >= maxConnections) {
      connection.on('error', () => {});
      connection.destroy();
      return;
    }
    connections.add(connection);
    connection.on('close', () => connections.delete(connection));
    serveConnection(connection, stats);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(controlError(`cannot listen on control socket ${socketPath}: ${error.message}`, error.code ?? 'EIO')),
    );
    server.listen(socketPath, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  fs.chmodSync(socketPath, 0o600);
  return {
    path: socketPath,
    get connections() {
      return connections.size;
    },
    get bufferedBytes() {
      let bytes = 0;
      for (const connection of connections) bytes += connection.writableLength;
      return bytes;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of connections) connection.destroy();
        server.close(() => resolve());
        try {
          fs.unlinkSync(socketPath);
        } catch {
          // already gone
        }
      }),
  };
}

/** Answer each request line; while the peer leaves answers unread (write() returned false), stop reading it. */
/** Where the stats come from; a target with worker threads first asks them for their counters as of now. */
type StatsSource = () => TargetStats | Promise<TargetStats>;

function serveConnection(connection: net.Socket, stats: StatsSource): void {
  let buffered = '';
  let waiting = false;
  let answering = false;
  let ended = false;
  /** Answer one line, in order; the connection is not read while an answer is pending, so unread lines stay bounded. */
  const reply = (line: string, last: boolean) => {
    answering = true;
    connection.pause();
    void answer(line, stats).then((result) => {
      answering = false;
      if (connection.destroyed) return;
      const text = `${JSON.stringify(result)}\n`;
      if (last) connection.end(text);
      else if (!connection.write(text)) {
        waiting = true;
        return;
      }
      pump();
    });
  };
  const pump = () => {
    if (waiting || answering) return;
    const newline = buffered.indexOf('\n');
    if (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) reply(line, false);
      else pump();
      return;
    }
    if (buffered.length > MAX_LINE) {
      connection.destroy();
      return;
    }
    if (ended) {
      const line = buffered.trim();
      buffered = '';
      if (line) reply(line, true);
      else connection.end();
      return;
    }
    connection.resume();
  };
  connection.setEncoding('utf8');
  connection.on('error', () => connection.destroy());
  connection.on('data', (chunk: string) => {
    buffered += chunk;
    pump();
  });
  connection.on('drain', () => {
    waiting = false;
    pump();
  });
  connection.on('end', () => {
    ended = true;
    pump();
  });
}

async function answer(line: string, stats: StatsSource): Promise<unknown> {
  let request: { cmd?: unknown };
  try {
    request = JSON.parse(line) as { cmd?: unknown };
  } catch {
    return { ok: false, error: 'request must be one JSON object per line, e.g. {"cmd":"stats"}' };
  }
  if (request?.cmd === 'stats') {
    try {
      return { ok: true, stats: await stats() };
    } catch (error) {
      return { ok: false, error: `cannot collect stats: ${(error as Error).message}` };
    }
  }
  if (request?.cmd === 'ping') return { ok: true };
  return { ok: false, error: `unknown cmd ${JSON.stringify(request?.cmd)} (known: stats, ping)` };
}
