// What the kernel-initiator suites share on the host side: aoeblade started in the lab's target namespace, and host tools run to completion.
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../../tools/lab/netlab.js';
import { skipNetAllowed } from '../helpers/lab.js';
import { type GuestImage, type GuestReport, prepareGuest, qemuProblem } from './guest.js';

export const BLADE = fileURLToPath(new URL('../../dist/cli/aoeblade.js', import.meta.url));
const MiB = 1024 * 1024;

/** aoeblade serving `backing` as shelf.slot on the lab's first target NIC; resolves once it logs "serving". */
export async function startBlade(
  lab: Lab,
  target: { shelf: number; slot: number },
  backing: string,
  onOutput: (text: string) => void,
): Promise<ChildProcess> {
  const argv = [process.execPath, BLADE, '--log-level', 'info', String(target.shelf), String(target.slot), lab.links[0].targetIf, backing];
  const child = lab.spawn(lab.targetNs, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    onOutput(chunk.toString('utf8'));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const deadline = Date.now() + 15_000;
  while (!output.includes('"msg":"serving')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`aoeblade ${target.shelf}.${target.slot} did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

/** SIGTERM (aoeblade's clean stop: flush, then exit) and wait for the exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  process.kill(child.pid, 'SIGTERM');
  await exited;
}

/** Run a host tool; never rejects (the exit code is in the result). */
export function runTool(file: string, args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'buffer', maxBuffer: 64 * MiB, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr: stderr.toString('utf8') });
    });
  });
}

/** The guest's report (throws when the guest did not run), and the text attached to a failed check: the report and aoeblade's last lines. */
export function reportViews(report: () => GuestReport | undefined, bladeOutput: () => string) {
  const guest = (): GuestReport => {
    const current = report();
    if (current === undefined) throw new Error('the guest did not run');
    return current;
  };
  const context = () =>
    `guest report:\n${guest().summary()}\naoeblade (last lines):\n${bladeOutput()
      .trim()
      .split('\n')
      .slice(-10)
      .map((line) => line.slice(0, 400))
      .join('\n')}`;
  return { guest, context };
}

/** Built once per test file; every suite of the file boots the same image. */
let imagePromise: Promise<GuestImage> | undefined;

/**
 * The guest image, once QEMU runs and the image is built; or, only with AOEKIT_SKIP_NET=1, why `suite` is skipped
 * (said on the console). Without that variable a missing QEMU or image fails the suite, as does an unbuilt aoeblade.
 */
export async function guestImageOrSkip(suite: string): Promise<GuestImage | { skipReason: string }> {
  let image: GuestImage;
  try {
    const problem = qemuProblem();
    if (problem !== undefined) throw new Error(problem);
    imagePromise ??= prepareGuest();
    image = await imagePromise;
  } catch (error) {
    if (!skipNetAllowed) throw error;
    const skipReason = `kernel-initiator guest unavailable (AOEKIT_SKIP_NET=1): ${(error as Error).message}`;
    console.warn(`[aoekit] SKIPPING ${suite}: ${skipReason}`);
    return { skipReason };
  }
  if (!existsSync(BLADE)) throw new Error(`${BLADE} missing: run npm run build first`);
  return image;
}
