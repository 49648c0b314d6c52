// The aoeblade lab suites' shared rig: a 2-link lab, raw initiators on the initiator side, aoeblade processes started and stopped by PID.
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { openPacketLink, type PacketLink } from '../../src/link/index.js';
import { useLab } from '../helpers/lab.js';
import { RawInitiator } from './raw-initiator.js';

export const BLADE = fileURLToPath(new URL('../../dist/cli/aoeblade.js', import.meta.url));
export const AOE = fileURLToPath(new URL('../../dist/cli/aoe.js', import.meta.url));
export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
export const MiB = 1024 * 1024;

export interface Blade {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
}

/** Call inside a describe(): builds the lab and the raw initiators before the suite, removes everything after it. */
export function useBladeLab() {
  const handle = useLab({ links: 2 });
  // O_DIRECT needs a real filesystem (tmpfs has none): /var/tmp.
  const directory = fs.mkdtempSync('/var/tmp/aoeblade-it-');
  const blades: Blade[] = [];
  const links: PacketLink[] = [];

  async function startBlade(args: string[], program = BLADE): Promise<Blade> {
    const argv = program === BLADE ? [process.execPath, BLADE, '--log-level', 'info', ...args] : [process.execPath, program, ...args];
    const child = handle.lab.spawn(handle.lab.targetNs, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const blade: Blade = { child, pid: child.pid!, output: () => output, exited };
    blades.push(blade);
    const deadline = Date.now() + 10_000;
    while ((output.match(/"msg":"serving/g) ?? []).length < (program === BLADE ? 1 : 2)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`aoeblade did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return blade;
  }

  async function stopBlade(blade: Blade): Promise<number | null> {
    blade.child.kill('SIGTERM');
    return blade.exited;
  }

  function image(name: string, size: number, fill?: Buffer): string {
    const file = path.join(directory, name);
    if (fill) {
      fs.writeFileSync(file, fill);
    } else {
      fs.writeFileSync(file, Buffer.alloc(0));
      fs.truncateSync(file, size);
    }
    return file;
  }

  const initiator = (index: number, shelf: number, slot: number) => new RawInitiator(links[index], shelf, slot);

  beforeAll(async () => {
    if (!fs.existsSync(BLADE)) throw new Error(`${BLADE} missing: run npm run build first`);
    const lab = handle.lab;
    links.push(
      ...(await Promise.all(lab.links.map((link) => openPacketLink(link.initiatorIf, { netns: lab.initiatorNs, filter: 'responses' })))),
    );
  }, 60_000);

  afterAll(async () => {
    for (const blade of blades) if (blade.child.exitCode === null) blade.child.kill('SIGKILL');
    await Promise.all(links.map((link) => link.close()));
    fs.rmSync(directory, { recursive: true, force: true });
  });

  return { handle, directory, links, startBlade, stopBlade, image, initiator };
}
