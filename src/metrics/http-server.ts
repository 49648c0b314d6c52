// The HTTP endpoint Prometheus scrapes: GET /metrics renders the text format on each scrape; nothing is collected in between.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatListenAddress, type ListenAddress } from './listen.js';
import { METRICS_CONTENT_TYPE } from './text-format.js';

export interface MetricsServer {
  /** Where it listens (the port the kernel chose when 0 was asked for). */
  readonly address: ListenAddress;
  /** Stop listening and drop open (keep-alive) connections. */
  close(): Promise<void>;
}

const ERRNO_WORDS: Record<string, string> = {
  EADDRINUSE: 'the address is in use',
  EADDRNOTAVAIL: 'no local interface has that address',
  EACCES: 'permission denied (ports below 1024 need root)',
  ENOTFOUND: 'unknown host',
};

/**
 * Listen on `listen` and answer GET /metrics with `render()`. A failure to listen rejects with the errno as `code`
 * (EADDRINUSE, EADDRNOTAVAIL, EACCES, ...) and a one-line message naming the address.
 */
export async function startMetricsServer(listen: ListenAddress, render: () => string | Promise<string>): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('use GET /metrics\n');
      return;
    }
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics\n');
      return;
    }
    // Collected at scrape time; a target with worker threads first asks them for their counters as of now.
    Promise.resolve()
      .then(render)
      .then(
        (body) => {
          response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
          response.end(request.method === 'HEAD' ? undefined : body);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect metrics: ${(error as Error).message}\n`);
        },
      );
  });
  server.keepAliveTimeout = 65_000; // longer than a scrape interval: Prometheus reuses its connection
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? 'EIO';
      const words = ERRNO_WORDS[code] ?? error.message;
      reject(Object.assign(new Error(`cannot listen for metrics on ${formatListenAddress(listen)}: ${words}`), { code }));
    });
    server.listen(listen.port, listen.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  server.on('error', () => {}); // after listening, errors belong to single connections
  const bound = server.address() as AddressInfo;
  return {
    address: { host: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
