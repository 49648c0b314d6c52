// The NBD client's stream socket: connect to a unix or TCP endpoint with a timeout, reading into one reused buffer.
import net, { type Socket } from 'node:net';
import { NbdClientError } from './client-errors.js';
import type { NbdEndpoint } from './uri.js';

/**
 * Where received bytes go. Sockets read into one reused buffer (net's `onread`), so no chunk is allocated per read:
 * a receiver must copy what it keeps before it returns. The handshake and then the connection swap `deliver`.
 */
export interface Receiver {
  deliver: (chunk: Buffer) => void;
}

/** Bytes read per system call at most. */
const RECEIVE_BUFFER_BYTES = 256 * 1024;

/** Open a stream socket to the endpoint; rejects with the errno code (ENOENT, ECONNREFUSED, ETIMEDOUT, ...). */
export function connectSocket(endpoint: NbdEndpoint, timeoutMs = 10_000): Promise<{ socket: Socket; receiver: Receiver }> {
  return new Promise((resolve, reject) => {
    const receiver: Receiver = { deliver: () => {} };
    const onread = {
      buffer: Buffer.allocUnsafeSlow(RECEIVE_BUFFER_BYTES),
      callback: (bytes: number, buffer: Uint8Array): boolean => {
        receiver.deliver((buffer as Buffer).subarray(0, bytes));
        return true;
      },
    };
    const socket =
      endpoint.kind === 'unix'
        ? net.connect({ path: endpoint.socket, onread })
        : net.connect({ port: endpoint.port, host: endpoint.host, onread });
    const where = endpoint.kind === 'unix' ? endpoint.socket : `${endpoint.host}:${endpoint.port}`;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new NbdClientError(`connecting to the NBD server at ${where} timed out`, 'ETIMEDOUT'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve({ socket, receiver });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new NbdClientError(`cannot connect to the NBD server at ${where}: ${error.message}`, error.code ?? 'ECONNREFUSED'));
    });
  });
}
