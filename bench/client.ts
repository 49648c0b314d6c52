// Benchmark client process: opens the device with the aoekit initiator (inside the lab's initiator netns), runs workloads, prints one JSON line.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDevice, type Device, type PolicyName } from '../src/initiator/index.js';
import { runWorkload, type WorkloadResult, type WorkloadSpec } from './workload.js';

export interface ClientRequest {
  device: string;
  netns: string;
  interfaces: string[];
  workloads: WorkloadSpec[];
  /** Bytes of the device the workloads touch (from offset 0). */
  spanBytes: number;
  /** Target process IDs whose CPU time is sampled around each workload. */
  targetPids: number[];
  /** Of targetPids, the backing-store server (nbdkit): its CPU is reported on its own as well. */
  backingServerPids?: number[];
  /** How long to keep retrying discovery while the target starts. */
  openTimeoutMs: number;
  policy?: PolicyName;
  /** Serve each initiator NIC from its own thread (openDevice's linkThreads). */
  linkThreads?: boolean;
}

export interface ClientResponse {
  ok: boolean;
  error?: string;
  paths: number;
  payloadBytes: number[];
  results: WorkloadResult[];
}

/** Prefix of the one stdout line the parent parses. */
export const RESULT_PREFIX = 'AOEKIT-BENCH-RESULT ';

async function openWithRetry(request: ClientRequest): Promise<Device> {
  const deadline = Date.now() + request.openTimeoutMs;
  for (;;) {
    try {
      const device = await openDevice(request.device, {
        netns: request.netns,
        interfaces: request.interfaces,
        policy: request.policy,
        linkThreads: request.linkThreads === true,
        discoverTimeoutMs: 300,
      });
      if (device.paths.length >= request.interfaces.length || Date.now() > deadline) return device;
      await device.close(); // not every path answered yet (a target still starting): try again
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function runClient(request: ClientRequest): Promise<ClientResponse> {
  const device = await openWithRetry(request);
  try {
    const results: WorkloadResult[] = [];
    for (const spec of request.workloads)
      results.push(await runWorkload(device, spec, request.spanBytes, request.targetPids, request.backingServerPids));
    await device.flush();
    const stats = device.stats();
    return { ok: true, paths: device.paths.length, payloadBytes: stats.paths.map((path) => path.payloadBytes), results };
  } finally {
    await device.close();
  }
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as ClientRequest;
  let response: ClientResponse;
  try {
    response = await runClient(request);
  } catch (error) {
    response = {
      ok: false,
      error: `${(error as { code?: string }).code ?? 'Error'}: ${(error as Error).message}`,
      paths: 0,
      payloadBytes: [],
      results: [],
    };
  }
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(response)}\n`);
  process.exitCode = response.ok ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void main();
}
