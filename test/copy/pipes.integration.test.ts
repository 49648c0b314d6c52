// `aoe copy` with pipes and '-' in the lab, and two different disks behind one shelf.slot refused with both paths named.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFigures } from '../../tools/reliability/figures.js';
import { useLab } from '../helpers/lab.js';
import { killBlades, requireBuild, startBlade, type Blade } from '../reliability/blade.js';

const AOE = new URL('../../dist/cli/aoe.js', import.meta.url).pathname;
const MiB = 1024 * 1024;

describe('aoe copy with pipes, and one identity per device [netlab]', () => {
  const net = useLab({ links: 2 });
  const directory = fs.mkdtempSync('/dev/shm/aoekit-pipes-');
  const blades: Blade[] = [];
  beforeAll(async () => {
    requireBuild();
    await startBlade(net.lab, ['1', '1', 't0,t1', 'ram:128M'], blades);
  });
  afterAll(async () => {
    await killBlades(blades);
    fs.rmSync(directory, { recursive: true, force: true });
  });

  /** Run a shell pipeline in the initiator namespace, with `aoe` meaning our CLI on both links. */
  const shell = (script: string) =>
    net.lab.exec(net.lab.initiatorNs, ['bash', '-o', 'pipefail', '-c', `aoe() { ${process.execPath} ${AOE} "$@" -i i0,i1; }; ${script}`], {
      timeoutMs: 120_000,
    });

  it('head -c 64M /dev/urandom | tee x | aoe copy - aoe:e1.1, then aoe copy aoe:e1.1 - --length 64M | sha256sum matches x', async () => {
    const x = `${directory}/x`;
    const write = await shell(`head -c 64M /dev/urandom | tee ${x} | aoe copy - aoe:e1.1`);
    expect(write.stderr).toBe('');
    expect(write.code).toBe(0);
    expect(write.stdout).toMatch(/^copied 67108864 bytes/);
    const read = await shell(`aoe copy aoe:e1.1 - --length 64M | sha256sum; sha256sum < ${x}`);
    expect(read.code).toBe(0);
    const [fromDevice, fromFile] = read.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[0]);
    expect(fromDevice).toBe(fromFile);
    expect(read.stderr).toMatch(/copied 67108864 bytes/);
    recordFigures(
      15,
      'aoe copy through pipes',
      'head -c 64M /dev/urandom | tee x | aoe copy - aoe:e1.1, then aoe copy aoe:e1.1 - --length 64M | sha256sum: the sums match; the summary goes to stderr.',
      {
        'bytes through stdin': 64 * MiB,
        'bytes through stdout': 64 * MiB,
        'sha256 equal': fromDevice === fromFile,
      },
    );
  }, 180_000);

  it('/dev/stdin from a pipe copies every byte (not 0), and /dev/stdout into a pipe works without ESPIPE', async () => {
    const x = `${directory}/y`;
    const write = await shell(`head -c 1M /dev/urandom | tee ${x} | aoe copy /dev/stdin aoe:e1.1`);
    expect(write.code).toBe(0);
    expect(write.stdout).toMatch(/^copied 1048576 bytes/);
    const read = await shell(
      `aoe copy aoe:e1.1 /dev/stdout --length 1M | wc -c; cmp <(aoe copy aoe:e1.1 /dev/stdout --length 1M) ${x} && echo same`,
    );
    expect(read.stderr).not.toMatch(/ESPIPE|at /);
    expect(read.stdout).toMatch(/^1048576\n/);
    expect(read.stdout).toMatch(/same/);
  }, 120_000);

  it('a source shorter than --length fails loudly (short copy), and a reader that goes away is an error, not a crash', async () => {
    const short = await shell('head -c 100K /dev/urandom | aoe copy - aoe:e1.1 --length 1M');
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/short copy: stdin ended after 102400 of 1048576 bytes \(ERR_AOE_SHORT_COPY\)/);
    const gone = await shell('aoe copy aoe:e1.1 - | head -c 10 > /dev/null; echo "exit ${PIPESTATUS[0]}"');
    expect(gone.stdout).toMatch(/exit 1/);
    expect(gone.stderr).toMatch(/EPIPE/);
    expect(gone.stderr).not.toMatch(/unexpected error/);
  }, 120_000);

  it('two different disks behind one shelf.slot: non-zero exit naming both paths, and no data copied', async () => {
    const a = `${directory}/a.img`;
    const b = `${directory}/b.img`;
    fs.writeFileSync(a, Buffer.alloc(64 * MiB, 0xaa));
    fs.writeFileSync(b, Buffer.alloc(MiB, 0xbb));
    await startBlade(net.lab, ['2', '1', 't0', a], blades);
    await startBlade(net.lab, ['2', '1', 't1', b], blades);
    const out = `${directory}/out.img`;
    const copy = await shell(`aoe copy aoe:e2.1 ${out}`);
    expect(copy.code).toBe(1);
    expect(copy.stderr).toMatch(/ERR_AOE_CONFLICT/);
    expect(copy.stderr).toMatch(/i0 -> /);
    expect(copy.stderr).toMatch(/i1 -> /);
    expect(copy.stderr).toContain(`${64 * MiB} bytes`);
    expect(copy.stderr).toContain(`${MiB} bytes`);
    expect(fs.existsSync(out) ? fs.statSync(out).size : 0).toBe(0);
    const discovered = await shell('aoe discover --json');
    const device = JSON.parse(discovered.stdout).find((entry: { name: string }) => entry.name === 'e2.1');
    expect(device.conflict.map((side: { size: number }) => side.size)).toEqual([64 * MiB, MiB]);
    expect(discovered.stderr).toMatch(/e2.1: its paths lead to different disks/);
    const narrowed = await net.lab.exec(net.lab.initiatorNs, [process.execPath, AOE, 'copy', 'aoe:e2.1', out, '-i', 'i1']);
    expect(narrowed.code).toBe(0);
    expect(fs.statSync(out).size).toBe(MiB);
    recordFigures(
      16,
      'two disks behind one shelf.slot',
      'aoeblade 2 1 t0 a.img (64 MiB) and aoeblade 2 1 t1 b.img (1 MiB): aoe copy exits 1 with ERR_AOE_CONFLICT naming both paths and copies nothing; discovery lists both sides; -i i1 copies b.img alone.',
      {
        'copy exit code': copy.code,
        'bytes copied': 0,
        'sides reported by discovery': device.conflict.length,
        'narrowed copy bytes': MiB,
      },
    );
  }, 120_000);
});
