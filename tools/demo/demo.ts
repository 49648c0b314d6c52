// `npm run demo`: a two-link lab, one RAM export, 256 MiB written and read back over both paths, checked by sha256.
import { packagePath } from '../package-root.js';
import { createHash, randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { ChildProcess } from 'node:child_process';
import { openDevice, type Device } from '../../src/initiator/index.js';
import { createLab, type Lab } from '../lab/netlab.js';

const MiB = 1024 * 1024;
const TOTAL = 256 * MiB;
const CHUNK = 4 * MiB;
const DEPTH = 4;

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Start the export: aoeblade (RAM disk, both NICs) when built, else one Debian vblade per link over a tmpfs file. */
async function startTarget(lab: Lab, backing: string): Promise<{ children: ChildProcess[]; description: string }> {
  const aoeblade = packagePath('dist', 'cli', 'aoeblade.js');
  const netifs = lab.links.map((link) => link.targetIf).join(',');
  if (existsSync(aoeblade) && process.env.AOEKIT_DEMO_VBLADE !== '1') {
    const child = lab.spawn(lab.targetNs, [process.execPath, aoeblade, '--log-level', 'warn', '1', '1', netifs, 'ram:512M'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    if (child.exitCode === null && child.signalCode === null)
      return { children: [child], description: `aoeblade e1.1 ram:512M on ${netifs}` };
    say('aoeblade did not start; falling back to Debian vblade');
  }
  const made = await lab.exec(lab.targetNs, ['dd', 'if=/dev/zero', `of=${backing}`, 'bs=1M', 'count=512', 'status=none']);
  if (made.code !== 0) throw new Error(`cannot create ${backing}: ${made.stderr}`);
  const children = lab.links.map((link) => lab.spawn(lab.targetNs, ['vblade', '1', '1', link.targetIf, backing], { stdio: 'ignore' }));
  return { children, description: `vblade e1.1 x${children.length} (one per link) over ${backing}` };
}

async function pipeline(total: number, step: (offset: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: DEPTH }, async () => {
      while (next < total) {
        const offset = next;
        next += CHUNK;
        await step(offset);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

function pathTable(device: Device, seconds: number): string {
  const paths = device.stats().paths;
  const frames = paths.reduce((sum, path) => sum + path.framesAcked, 0) || 1;
  const rows = [['NETIF', 'TARGET MAC', 'PAYLOAD', 'FRAMES', 'BYTES', 'RETRANSMITS', 'SHARE', 'MB/s']];
  for (const path of paths) {
    rows.push([
      path.interface,
      path.targetMac,
      String(path.payloadBytes),
      String(path.framesAcked),
      String(path.bytesAcked),
      String(path.retransmits),
      `${((path.framesAcked / frames) * 100).toFixed(1)}%`,
      (path.bytesAcked / 1e6 / seconds).toFixed(1),
    ]);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ')).join('\n');
}

async function main(): Promise<void> {
  let lab: Lab | undefined;
  let device: Device | undefined;
  const backing = `/dev/shm/aoekit-demo-${process.pid}.img`;
  const children: ChildProcess[] = [];
  const cleanup = async () => {
    await device?.close().catch(() => {});
    for (const child of children)
      if (child.exitCode === null && child.pid) {
        try {
          process.kill(child.pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    await lab?.destroy().catch(() => {});
    await rm(backing, { force: true });
  };
  const onSignal = () => {
    say('\ninterrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    say('building the lab: 2 links (veth pairs) between an initiator and a target namespace');
    lab = await createLab({ links: 2 });
    const target = await startTarget(lab, backing);
    children.push(...target.children);
    say(`target: ${target.description}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    device = await openDevice('e1.1', {
      interfaces: lab.links.map((link) => link.initiatorIf),
      netns: lab.initiatorNs,
      deadlineMs: 30_000,
      discoverTimeoutMs: 1000,
    });
    say(`found ${device.name}: ${(device.size / MiB).toFixed(0)} MiB, model '${device.identify.model}', ${device.paths.length} paths`);
    const data = Buffer.allocUnsafe(TOTAL);
    randomFillSync(data);
    const written = sha256(data);
    const open = device;
    const writeSeconds = await pipeline(TOTAL, (offset) => open.write(offset, data.subarray(offset, offset + CHUNK)));
    await device.flush();
    say(`wrote 256 MiB in ${writeSeconds.toFixed(2)} s (${(TOTAL / 1e6 / writeSeconds).toFixed(1)} MB/s)`);
    const back = Buffer.alloc(TOTAL);
    const readSeconds = await pipeline(TOTAL, (offset) => open.readInto(back.subarray(offset, offset + CHUNK), offset));
    say(`read 256 MiB in ${readSeconds.toFixed(2)} s (${(TOTAL / 1e6 / readSeconds).toFixed(1)} MB/s)`);
    const read = sha256(back);
    say(`sha256 written ${written}\nsha256 read    ${read}`);
    say(pathTable(device, writeSeconds + readSeconds));
    if (read !== written) throw new Error('MISMATCH: data read back differs from data written');
    say('OK: data verified over both paths');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
