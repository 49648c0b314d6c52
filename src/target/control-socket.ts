// A local unix control socket: each line `{"cmd":"stats"}` is answered with one JSON line (the target's stats).
import fs from 'node:fs';
import net from 'node:net';
import type { TargetStats } from './stats.js';

export interface ControlSocket {
  readonly path: string;
  close(): Promise<void>;
}

/** Commands: {"cmd":"stats"} -> {"ok":true,"stats":{...}}; {"cmd":"ping"} -> {"ok":true}; anything else -> {"ok":false,"error":"..."}. */
export async function openControlSocket(socketPath: string, stats: () => TargetStats): Promise<ControlSocket> {
  try {
    // A stale socket from a killed run would make listen() fail with EADDRINUSE.
    if (fs.statSync(socketPath).isSocket()) fs.unlinkSync(socketPath);
  } catch {
    // not there
  }
  const server = net.createServer((connection) => {
    let buffered = '';
    connection.setEncoding('utf8');
    connection.on('error', () => connection.destroy());
    connection.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > 65536) {
        connection.destroy();
        return;
      }
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) connection.write(JSON.stringify(answer(line, stats)) + '\n');
      }
    });
    connection.on('end', () => {
      const line = buffered.trim();
      if (line) connection.end(JSON.stringify(answer(line, stats)) + '\n');
      else connection.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fs.chmodSync(socketPath, 0o600);
  return {
    path: socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        try {
          fs.unlinkSync(socketPath);
        } catch {
          // already gone
        }
      }),
  };
}

function answer(line: string, stats: () => TargetStats): unknown {
  let request: { cmd?: unknown };
  try {
    request = JSON.parse(line) as { cmd?: unknown };
  } catch {
    return { ok: false, error: 'request must be one JSON object per line, e.g. {"cmd":"stats"}' };
  }
  if (request?.cmd === 'stats') return { ok: true, stats: stats() };
  if (request?.cmd === 'ping') return { ok: true };
  return { ok: false, error: `unknown cmd ${JSON.stringify(request?.cmd)} (known: stats, ping)` };
}
