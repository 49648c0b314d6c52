// Shared helpers for initiator integration tests: run the built CLIs, start vblade per link, hash files.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../../tools/lab/netlab.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run dist/cli/<bin>.js (built by `npm run build:ts`) with argv; never rejects. */
export function runCli(bin: 'aoe' | 'aoe-discover', argv: string[], timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`${root}dist/cli/${bin}.js`, ...argv],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function sha256File(path: string, start = 0, length?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { start, end: length === undefined ? undefined : start + length - 1 })
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

/** A random backing file on tmpfs (visible from every namespace: /dev/shm is not per netns). */
export async function makeBackingFile(lab: Lab, path: string, mebibytes: number): Promise<void> {
  const result = await lab.exec(lab.targetNs, ['dd', 'if=/dev/urandom', `of=${path}`, 'bs=1M', `count=${mebibytes}`, 'status=none']);
  if (result.code !== 0) throw new Error(`dd failed: ${result.stderr}`);
}

/** One vblade per target interface, all exporting the same file as e1.1 (first with -b 16). Returns their PIDs. */
export async function startVblades(lab: Lab, file: string, shelf = 1, slot = 1): Promise<number[]> {
  const pids: number[] = [];
  lab.links.forEach((link, index) => {
    const argv =
      index === 0
        ? ['vblade', '-b', '16', String(shelf), String(slot), link.targetIf, file]
        : ['vblade', String(shelf), String(slot), link.targetIf, file];
    const child = lab.spawn(lab.targetNs, argv, { stdio: 'ignore' });
    if (child.pid) pids.push(child.pid);
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  return pids;
}

export function stopPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
}

export async function removeFiles(...paths: string[]): Promise<void> {
  for (const path of paths) await rm(path, { force: true });
}
