// `aoe nbd` in the netlab with real NBD clients: nbdinfo, nbdcopy in/out vs aoe copy, a path lost mid-copy, ext4 via nbdfuse + loop.
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLab } from '../helpers/lab.js';
import { runCli, sha256File, stopPids } from '../initiator/vblade-helpers.js';

const MiB = 1024 * 1024;
const EXPORT_BYTES = 512 * MiB;
const aoeblade = fileURLToPath(new URL('../../dist/cli/aoeblade.js', import.meta.url));
const aoe = fileURLToPath(new URL('../../dist/cli/aoe.js', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command in the root namespace (unix sockets are not per network namespace); never rejects. */
function sh(argv: string[], timeoutMs = 120_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { timeout: timeoutMs, maxBuffer: 16 * MiB }, (error, stdout, stderr) => {
      resolve({
        code: error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0,
        stdout,
        stderr,
      });
    });
  });
}

async function must(argv: string[], timeoutMs?: number): Promise<Result> {
  const result = await sh(argv, timeoutMs);
  if (result.code !== 0) throw new Error(`${argv.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

describe('aoe nbd over aoeblade, 2 links [netlab]', () => {
  const net = useLab({ links: 2 });
  const dir = `/dev/shm/aoekit-nbd-${process.pid}`;
  const backing = `${dir}/backing.img`;
  const image = `${dir}/image.img`;
  const socket = `${dir}/nbd.sock`;
  const uri = `nbd+unix:///e1.1?socket=${socket}`;
  const fuseDir = `${dir}/fuse`;
  const mountPoint = `${dir}/mnt`;
  const pids: number[] = [];
  let nbdLog = '';
  let server: ChildProcess | undefined;
  let loopDevice: string | undefined;
  const fsScript = `${dir}/filesystem.sh`;
  const throughput: Record<string, number> = {};

  beforeAll(async () => {
    for (const file of [aoeblade, aoe]) if (!existsSync(file)) throw new Error(`${file} missing: run npm run build:ts first`);
    await mkdir(dir, { recursive: true });
    await must(['truncate', '-s', String(EXPORT_BYTES), backing]);
    await must(['dd', 'if=/dev/urandom', `of=${image}`, 'bs=1M', `count=${EXPORT_BYTES / MiB}`, 'status=none']);
    const blade = net.lab.spawn(net.lab.targetNs, [process.execPath, aoeblade, '--log-level', 'warn', '1', '1', 't0,t1', backing], {
      stdio: 'ignore',
    });
    if (blade.pid) pids.push(blade.pid);
    await new Promise((resolve) => setTimeout(resolve, 800));
    const child = net.lab.spawn(
      net.lab.initiatorNs,
      [process.execPath, aoe, 'nbd', 'aoe:e1.1', '--socket', socket, '-i', 'i0,i1', '--name', 'e1.1'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    server = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      nbdLog += chunk.toString();
    });
    if (child.pid) pids.push(child.pid);
    await waitFor('the nbd export (log line "nbd export ready")', () => nbdLog.includes('nbd export ready') || child.exitCode !== null);
    if (child.exitCode !== null) throw new Error(`aoe nbd exited ${child.exitCode}: ${nbdLog}`);
  }, 90_000);

  afterAll(async () => {
    // The mounts died with their private namespace; a loop device the script could not detach is detached here, by name.
    if (loopDevice) await sh(['losetup', '-d', loopDevice]);
    stopPids(pids);
    await rm(dir, { recursive: true, force: true });
    if (Object.keys(throughput).length > 0) console.log(`[bench] nbd ${JSON.stringify(throughput)}`);
  }, 60_000);

  it('nbdinfo reports the size and the flags', async () => {
    const info = JSON.parse((await must(['nbdinfo', '--json', uri])).stdout);
    expect(info.protocol).toBe('newstyle-fixed');
    expect(info.exports[0]).toMatchObject({
      'export-name': 'e1.1',
      'export-size': EXPORT_BYTES,
      is_read_only: false,
      can_flush: true,
      can_fua: true,
      can_trim: true,
      can_zero: true,
      can_multi_conn: true,
      block_size_minimum: 512,
      block_size_preferred: 4096,
    });
  }, 30_000);

  it('--listen serves TCP on loopback inside the namespace; --read-only sets READ_ONLY and refuses writes', async () => {
    const port = 10809;
    const readOnly = net.lab.spawn(
      net.lab.initiatorNs,
      [process.execPath, aoe, 'nbd', 'aoe:e1.1', '--listen', `127.0.0.1:${port}`, '--read-only', '-i', 'i0,i1'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    readOnly.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    if (readOnly.pid) pids.push(readOnly.pid);
    try {
      await waitFor('the read-only export', () => log.includes('nbd export ready') || readOnly.exitCode !== null);
      const tcpUri = `nbd://127.0.0.1:${port}/`;
      const info = await net.lab.exec(net.lab.initiatorNs, ['nbdinfo', '--json', tcpUri]);
      expect(info.stderr).toBe('');
      expect(JSON.parse(info.stdout).exports[0]).toMatchObject({
        'export-size': EXPORT_BYTES,
        is_read_only: true,
        can_trim: false,
        can_zero: false,
      });
      const write = await net.lab.exec(net.lab.initiatorNs, ['nbdcopy', '--synchronous', image, tcpUri]);
      expect(write.code).not.toBe(0);
      expect(write.stderr).toMatch(/read-only|Operation not permitted|EPERM/i);
    } finally {
      readOnly.kill('SIGTERM');
    }
  }, 60_000);

  it('nbdcopy writes a 512 MiB random image and reads it back; aoe copy reads the same bytes', async () => {
    const imageSha = await sha256File(image);
    const written = await timed(() => must(['nbdcopy', '--flush', image, uri]));
    throughput.nbdcopyWriteMBps = round(EXPORT_BYTES / 1e6 / written.seconds);
    expect(await sha256File(backing)).toBe(imageSha);
    const viaNbd = `${dir}/via-nbd.out`;
    const read = await timed(() => must(['nbdcopy', uri, viaNbd]));
    throughput.nbdcopyReadMBps = round(EXPORT_BYTES / 1e6 / read.seconds);
    expect(await sha256File(viaNbd)).toBe(imageSha);
    await rm(viaNbd);
    const viaAoe = `${dir}/via-aoe.out`;
    const copy = await timed(() => runCli('aoe', ['copy', 'aoe:e1.1', viaAoe, '--json', '--netns', net.lab.initiatorNs, '-i', 'i0,i1']));
    expect(copy.value.stderr).toBe('');
    throughput.aoeCopyReadMBps = JSON.parse(copy.value.stdout).megabytesPerSecond;
    throughput.aoeCopyReadWallMBps = round(EXPORT_BYTES / 1e6 / copy.seconds);
    expect(await sha256File(viaAoe)).toBe(imageSha);
    await rm(viaAoe);
    // nbdcopy's time includes its own start-up and the handshake; aoe copy's wall time includes discovery. Loose floor only.
    expect(throughput.nbdcopyReadMBps).toBeGreaterThan(0.5 * throughput.aoeCopyReadWallMBps);
  }, 120_000);

  it('a path going down in the middle of an nbdcopy does not stop it; the data is intact', async () => {
    const reversed = `${dir}/image2.img`;
    // A different 256 MiB pattern so the check cannot pass on the previous test's bytes.
    await must(['dd', 'if=/dev/urandom', `of=${reversed}`, 'bs=1M', 'count=256', 'status=none']);
    const expected = await sha256File(reversed);
    const copying = sh(['nbdcopy', '--flush', reversed, uri]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await net.lab.setLinkUp(1, false);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await net.lab.setLinkUp(1, true);
    const result = await copying;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(nbdLog).toMatch(/path down/);
    expect(await sha256File(backing, 0, 256 * MiB)).toBe(expected);
    const back = `${dir}/image2.back`;
    await must(['nbdcopy', uri, back]);
    expect(await sha256File(back, 0, 256 * MiB)).toBe(expected);
    await rm(back);
    await rm(reversed);
  }, 120_000);

  it('ext4 lives on it: nbdfuse + losetup, mkfs, a tree of files, fsck -n clean, identical after a remount', async () => {
    if (!existsSync('/dev/fuse')) await must(['modprobe', 'fuse']);
    await mkdir(fuseDir, { recursive: true });
    await mkdir(mountPoint, { recursive: true });
    await writeFile(fsScript, FILESYSTEM_SCRIPT);
    // The whole stack lives in a private mount namespace: mounts in the root namespace are private on this host, so any
    // `ip netns exec` started meanwhile (other suites) would copy our mounts and keep ext4 busy after umount. The
    // namespace also tears every mount down if the script dies.
    const result = await sh(
      ['unshare', '--mount', '--propagation', 'private', 'bash', fsScript, socket, fuseDir, mountPoint, dir],
      100_000,
    );
    if (existsSync(`${dir}/loop.txt`)) loopDevice = (await readFile(`${dir}/loop.txt`, 'utf8')).trim() || undefined;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(loopDevice).toMatch(/^\/dev\/loop\d+$/);
    const before = await readFile(`${dir}/before.sha`, 'utf8');
    expect(before.split('\n').filter(Boolean)).toHaveLength(200);
    // fsck -n -f after the umount: exit 0 and nothing to fix.
    const fsck = await readFile(`${dir}/fsck.txt`, 'utf8');
    expect(fsck).not.toMatch(/error|corrupt|fix\?|in use|journal recovery/i);
    expect((await readFile(`${dir}/fsck.rc`, 'utf8')).trim()).toBe('0');
    expect(await readFile(`${dir}/after.sha`, 'utf8')).toBe(before);
    // The filesystem went all the way down to the target's backing file: ext4 superblock magic 0xEF53 at byte 1080.
    const magic = await must(['bash', '-c', `od -An -tx1 -j1080 -N2 ${backing}`]);
    expect(magic.stdout.trim()).toBe('53 ef');
    loopDevice = undefined;
  }, 120_000);

  it('SIGTERM stops aoe nbd cleanly: exit 0, socket removed', async () => {
    const child = server as ChildProcess;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(nbdLog).toMatch(/"msg":"stopped"/);
    expect(existsSync(socket)).toBe(false);
  }, 30_000);
});

/**
 * nbdfuse SOCKET -> FILE, losetup, mkfs.ext4, mount, 200 random files hashed, sync, umount, fsck -n -f, mount, hash
 * again, umount, losetup -d, fusermount3 -u. Args: SOCKET FUSEDIR MOUNTPOINT OUTDIR. The EXIT trap undoes whatever is
 * still set up. Results go to OUTDIR: loop.txt, before.sha, fsck.txt, fsck.rc, after.sha.
 */
const FILESYSTEM_SCRIPT = `set -euo pipefail
socket=$1 fuse=$2 mnt=$3 out=$4 loop= fusepid=
cleanup() {
  mountpoint -q "$mnt" && umount "$mnt"
  [ -n "$loop" ] && losetup -d "$loop"
  mountpoint -q "$fuse" && fusermount3 -u "$fuse"
  [ -n "$fusepid" ] && wait "$fusepid" || true
}
trap cleanup EXIT
nbdfuse "$fuse" --unix "$socket" & fusepid=$!
for i in $(seq 1 300); do [ -f "$fuse/nbd" ] && break; sleep 0.05; done
loop=$(losetup -f --show "$fuse/nbd")
echo "$loop" > "$out/loop.txt"
mkfs.ext4 -q -F "$loop"
mount "$loop" "$mnt"
cd "$mnt"
for d in $(seq 1 40); do
  mkdir -p tree/d$d/sub
  for f in $(seq 1 5); do head -c $(( (d * 7919 + f * 104729) % 1048576 + 4096 )) /dev/urandom > tree/d$d/sub/f$f; done
done
find tree -type f | sort | xargs sha256sum > "$out/before.sha"
cd /
sync
umount "$mnt"
rc=0; fsck.ext4 -n -f "$loop" > "$out/fsck.txt" 2>&1 || rc=$?
echo $rc > "$out/fsck.rc"
mount "$loop" "$mnt"
(cd "$mnt" && find tree -type f | sort | xargs sha256sum) > "$out/after.sha"
umount "$mnt"
losetup -d "$loop"; loop=
fusermount3 -u "$fuse"
wait "$fusepid"; fusepid=
`;

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
