// In-process micro-benchmark of the initiator's data path (issue -> send -> reply -> handleData), A/B over builds in one process.
//
// Usage: node bench/initiator-hot-path.mjs [--frames N] [--mtu 1500] [--kind read|write] [--rounds 20] DIST [DIST...]
//   DIST is a compiled tree (e.g. `dist`, or a copy of another branch's dist). Every DIST gets its own device on its own
//   LoopbackLink (bench/loopback-link.mjs, loaded once per DIST so no code or type feedback is shared), and the DISTs take
//   turns, round after round, so that load from other processes on a shared machine falls on all of them alike.
//   Reported per DIST: CPU ns per frame (process CPU time while that DIST ran), wall ns per frame, and the ratio to the
//   first DIST. Only the initiator is measured: the loopback target answers with a few byte stores and copies no data.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    frames: { type: 'string', default: '2000000' },
    mtu: { type: 'string', default: '1500' },
    kind: { type: 'string', default: 'read' },
    rounds: { type: 'string', default: '20' },
  },
});
const frames = Number(values.frames);
const mtu = Number(values.mtu);
const kind = values.kind;
const rounds = Number(values.rounds);
const dists = positionals.length > 0 ? positionals : ['dist'];
const DISK_SECTORS = 1 << 21; // 1 GiB addressed, never stored
const BLOCK_SIZE = 64 * 1024;
const QUEUE_DEPTH = 8;

/** One DIST under test: its device, its link and what it has used so far. */
async function setUp(dist, index) {
  const root = pathToFileURL(path.resolve(dist)).href;
  const { openDevice } = await import(`${root}/initiator/index.js`);
  const { buildIdentify } = await import(`${root}/wire/identify.js`);
  const { LoopbackLink } = await import(`./loopback-link.mjs?dist=${index}`);
  const link = new LoopbackLink(mtu, buildIdentify, DISK_SECTORS);
  const device = await openDevice('e1.1', { links: [link], discoverTimeoutMs: 20 });
  const buffers = Array.from({ length: QUEUE_DEPTH }, () => Buffer.alloc(BLOCK_SIZE, index + 1));
  return { dist, link, device, buffers, next: 0, frames: 0, cpuMicros: 0, wallMs: 0 };
}

/** Push at least `frameCount` frames through one DIST's device with QUEUE_DEPTH operations in flight. */
async function run(unit, frameCount) {
  const start = unit.link.replies;
  const blocks = (DISK_SECTORS * 512) / BLOCK_SIZE;
  const worker = async (buffer) => {
    while (unit.link.replies - start < frameCount) {
      const offset = (unit.next++ % blocks) * BLOCK_SIZE;
      if (kind === 'write') await unit.device.write(offset, buffer);
      else await unit.device.readInto(buffer, offset);
    }
  };
  await Promise.all(unit.buffers.map(worker));
  return unit.link.replies - start;
}

const units = [];
for (let index = 0; index < dists.length; index += 1) units.push(await setUp(dists[index], index));
for (const unit of units) await run(unit, Math.min(300_000, frames / 4)); // warm up: every hot function optimized
const perRound = Math.ceil(frames / rounds);
for (let round = 0; round < rounds; round += 1) {
  const order = round % 2 === 0 ? units : [...units].reverse();
  for (const unit of order) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    unit.frames += await run(unit, perRound);
    unit.wallMs += performance.now() - started;
    const used = process.cpuUsage(cpu);
    unit.cpuMicros += used.user + used.system;
  }
}
const first = units[0];
const cpuNs = (unit) => (unit.cpuMicros * 1000) / unit.frames;
const wallNs = (unit) => (unit.wallMs * 1e6) / unit.frames;
for (const unit of units) {
  console.log(JSON.stringify({
    dist: unit.dist, kind, mtu, frames: unit.frames, cpuNsPerFrame: Math.round(cpuNs(unit)), wallNsPerFrame: Math.round(wallNs(unit)),
    cpuRatio: Number((cpuNs(unit) / cpuNs(first)).toFixed(3)), wallRatio: Number((wallNs(unit) / wallNs(first)).toFixed(3)),
  }));
}
for (const unit of units) await unit.device.close();
process.exit(0);
