// Child process of the transport ceiling (c): measures one link (receiver here, sender in a worker thread), starting on 'go' from stdin.
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { measureTransport, type TransportEndpoint, type TransportResult } from './transport.js';

export interface LinkRequest {
  sender: TransportEndpoint;
  receiver: TransportEndpoint;
  frameSize: number;
  durationMs: number;
}

/** Printed once both ends are open and the sender waits for the start. */
export const LINK_READY = 'AOEKIT-LINK-READY';
/** Prefix of the one result line: JSON of TransportResult. */
export const LINK_RESULT_PREFIX = 'AOEKIT-LINK-RESULT ';
/** What the parent writes to stdin to start every link at once. */
export const LINK_GO = 'go';

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '') as LinkRequest;
  const lines = createInterface({ input: process.stdin });
  const go = new Promise<void>((resolveGo, rejectGo) => {
    lines.on('line', (line) => line.trim() === LINK_GO && resolveGo());
    lines.once('close', () => rejectGo(Object.assign(new Error('stdin closed before the start signal'), { code: 'ERR_BENCH_NO_START' })));
  });
  go.catch(() => {}); // observed in ready() below
  const result: TransportResult = await measureTransport({
    sender: request.sender,
    receiver: request.receiver,
    frameSize: request.frameSize,
    durationMs: request.durationMs,
    ready: async () => {
      process.stdout.write(`${LINK_READY}\n`);
      await go;
    },
  });
  lines.close();
  process.stdout.write(`${LINK_RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`transport link: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
