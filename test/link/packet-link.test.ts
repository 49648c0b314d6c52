// Real frames through real namespaces: PacketLink batches, jumbo frames, BPF filters, MTU, carrier, ENOBUFS.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { interfaceInfo, listInterfaces, openPacketLink, setMtu, type PacketLink } from '../../src/link/index.js';
import type { LinkState } from '../../src/link/link.js';
import { AOE_ETHERTYPE as AOE, collect, digest, makeFrame, until } from '../helpers/frames.js';
import { useLab } from '../helpers/lab.js';

const run = promisify(execFile);
const ADDON = fileURLToPath(new URL('../../build/Release/aoekit_packet.node', import.meta.url));
const OTHER_ETHERTYPE = 0x88b5;
const RESPONSE_FLAG = 0x08;

/** Sends every frame in batches, retrying refused ones after yielding to the event loop. */
async function sendAll(link: PacketLink, frames: readonly Buffer[], batch = 64): Promise<number> {
  let index = 0;
  let refusals = 0;
  while (index < frames.length) {
    const slice = frames.slice(index, index + batch);
    const sent = link.send(
      slice,
      Uint32Array.from(slice, (frame) => frame.length),
      slice.length,
    );
    if (sent < slice.length) refusals++;
    index += sent;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return refusals;
}

async function nextState(link: PacketLink, wanted: Partial<LinkState>): Promise<LinkState> {
  const matches = (state: LinkState): boolean =>
    (wanted.up === undefined || state.up === wanted.up) && (wanted.carrier === undefined || state.carrier === wanted.carrier);
  while (!matches(link.state)) await once(link, 'state');
  return link.state;
}

describe('PacketLink over a veth pair in two namespaces [netlab]', () => {
  const net = useLab({ links: 1, mtu: 1500 });
  let sender: PacketLink;
  let receiver: PacketLink;
  let received: Buffer[];

  beforeAll(async () => {
    if (net.skipReason !== undefined) return; // AOEKIT_SKIP_NET=1 and no lab: every test is skipped
    const lab = net.lab;
    sender = await openPacketLink('i0', { netns: lab.initiatorNs });
    receiver = await openPacketLink('t0', { netns: lab.targetNs, batchSize: 32 });
    received = collect(receiver);
  });

  afterAll(async () => {
    await Promise.all([sender?.close(), receiver?.close()]);
  });

  it('reports NIC facts: name, ifindex, MAC, MTU, state', async () => {
    const info = interfaceInfo('t0', net.lab.targetNs);
    expect(receiver.name).toBe('t0');
    expect(receiver.mac).toBe(info.mac);
    expect(receiver.mtu).toBe(1500);
    expect(receiver.state).toEqual({ up: true, carrier: true });
    const shown = await net.lab.exec(net.lab.targetNs, ['ip', '-o', 'link', 'show', 't0']);
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(shown.stdout)?.[1];
    expect(mac?.replaceAll(':', '')).toBe(info.mac.toString(16).padStart(12, '0'));
    const names = listInterfaces(net.lab.targetNs).map((nic) => nic.name);
    expect(names).toContain('t0');
    expect(names).toContain('lo');
    expect(listInterfaces(net.lab.targetNs).find((nic) => nic.name === 't0')).toEqual(info);
  });

  it('moves batches of 1 KiB frames intact (sha256, no loss)', async () => {
    received.length = 0;
    const frames = Array.from({ length: 3000 }, (_, i) => makeFrame(receiver.mac, sender.mac, 1024, i));
    const before = receiver.stats();
    await sendAll(sender, frames);
    await until(() => received.length >= frames.length, 5000, '3000 frames');
    expect(received.length).toBe(frames.length);
    expect(digest(received)).toBe(digest(frames));
    const after = receiver.stats();
    expect(after.framesIn - before.framesIn).toBe(frames.length);
    expect(after.bytesIn - before.bytesIn).toBe(frames.length * 1024);
    expect(after.batchesIn - before.batchesIn).toBeLessThan(frames.length); // batched, not per frame
    expect(after.kernelDrops).toBe(0);
    expect(sender.stats().framesOut).toBeGreaterThanOrEqual(frames.length);
  });

  it('filters other EtherTypes out in the kernel', async () => {
    received.length = 0;
    const frames = Array.from({ length: 200 }, (_, i) => makeFrame(receiver.mac, sender.mac, 200, i, i % 2 === 0 ? AOE : OTHER_ETHERTYPE));
    await sendAll(sender, frames);
    const aoeFrames = frames.filter((frame) => frame.readUInt16BE(12) === AOE);
    await until(() => received.length >= aoeFrames.length, 3000, 'AoE frames');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.length).toBe(aoeFrames.length);
    expect(digest(received)).toBe(digest(aoeFrames));
  });

  it('passes only requests or only responses in the filter modes', async () => {
    const requestsOnly = await openPacketLink('t0', { netns: net.lab.targetNs, filter: 'requests' });
    const responsesOnly = await openPacketLink('t0', { netns: net.lab.targetNs, filter: 'responses' });
    try {
      const requests = collect(requestsOnly);
      const responses = collect(responsesOnly);
      received.length = 0;
      const frames = Array.from({ length: 300 }, (_, i) =>
        makeFrame(receiver.mac, sender.mac, 100, i, AOE, i % 3 === 0 ? RESPONSE_FLAG | 0x04 : 0x04),
      );
      await sendAll(sender, frames);
      await until(() => received.length >= frames.length, 3000, 'all frames on the unfiltered socket');
      await until(() => requests.length + responses.length >= frames.length, 3000, 'filtered frames');
      expect(digest(requests)).toBe(digest(frames.filter((frame) => (frame[14] & RESPONSE_FLAG) === 0)));
      expect(digest(responses)).toBe(digest(frames.filter((frame) => (frame[14] & RESPONSE_FLAG) !== 0)));
      expect(requests.length).toBe(200);
      expect(responses.length).toBe(100);
    } finally {
      await Promise.all([requestsOnly.close(), responsesOnly.close()]);
    }
  });

  it('counts an oversized frame as a send error without throwing and sends the rest', () => {
    const before = sender.stats();
    const frames = [
      makeFrame(receiver.mac, sender.mac, 100, 1),
      makeFrame(receiver.mac, sender.mac, 3000, 2),
      makeFrame(receiver.mac, sender.mac, 100, 3),
    ];
    expect(sender.send(frames, [100, 3000, 100], 3)).toBe(3);
    const after = sender.stats();
    expect(after.sendErrors - before.sendErrors).toBe(1);
    expect(after.framesOut - before.framesOut).toBe(2);
  });

  it('reports ENOBUFS from an nftables egress drop as refused frames, not an exception', async () => {
    await net.lab.addEgressDrop('initiator', 0);
    try {
      const before = sender.stats();
      const frames = Array.from({ length: 10 }, (_, i) => makeFrame(receiver.mac, sender.mac, 100, i));
      // Measured on Linux 6.x: the egress hook's NF_DROP becomes NET_XMIT_DROP, i.e. ENOBUFS for the sender.
      expect(
        sender.send(
          frames,
          frames.map((frame) => frame.length),
          frames.length,
        ),
      ).toBe(0);
      const after = sender.stats();
      expect(after.sendBlocked - before.sendBlocked).toBe(10);
      expect(after.framesOut).toBe(before.framesOut);
      expect(after.sendErrors).toBe(before.sendErrors);
    } finally {
      await net.lab.clearEgressDrop();
    }
    received.length = 0;
    const frame = makeFrame(receiver.mac, sender.mac, 100, 7);
    expect(sender.send([frame], [100], 1)).toBe(1);
    await until(() => received.length === 1, 2000, 'a frame after the drop rule is gone');
  });

  it('reports carrier loss of the peer and the device going down, and receives again afterwards', async () => {
    const states: LinkState[] = [];
    receiver.on('state', (state: LinkState) => states.push(state));
    await net.lab.setLinkUp(0, false, 'initiator');
    expect(await nextState(receiver, { carrier: false })).toEqual({ up: true, carrier: false });
    await net.lab.setLinkUp(0, true, 'initiator');
    expect(await nextState(receiver, { carrier: true })).toEqual({ up: true, carrier: true });
    await net.lab.setLinkUp(0, false, 'target');
    expect(await nextState(receiver, { up: false })).toEqual({ up: false, carrier: false });
    await net.lab.setLinkUp(0, true, 'target');
    expect(await nextState(receiver, { up: true, carrier: true })).toEqual({ up: true, carrier: true });
    expect(states.length).toBeGreaterThanOrEqual(4);
    receiver.removeAllListeners('state');
    expect(receiver.stats().receiveErrors).toBeGreaterThanOrEqual(1); // ENETDOWN while down: counted, not thrown
    const sendErrors = sender.stats().sendErrors;
    received.length = 0;
    const frames = Array.from({ length: 50 }, (_, i) => makeFrame(receiver.mac, sender.mac, 500, i));
    await sendAll(sender, frames);
    await until(() => received.length >= 50, 3000, 'frames after the link came back');
    expect(digest(received)).toBe(digest(frames));
    expect(sender.stats().sendErrors).toBe(sendErrors); // the stale ENETDOWN did not cost a frame
  }, 20_000);

  it('follows MTU changes: setMtu, interfaceInfo, ip link and the mtu event agree', async () => {
    const event = once(receiver, 'mtu');
    setMtu('t0', 4000, net.lab.targetNs);
    expect(interfaceInfo('t0', net.lab.targetNs).mtu).toBe(4000);
    const shown = await net.lab.exec(net.lab.targetNs, ['ip', '-o', 'link', 'show', 't0']);
    expect(shown.stdout).toMatch(/ mtu 4000 /);
    expect(await event).toEqual([4000]);
    expect(receiver.mtu).toBe(4000);
    expect(() => setMtu('t0', 10, net.lab.targetNs)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'ioctl(SIOCSIFMTU)' }));
    setMtu('t0', 1500, net.lab.targetNs);
    await until(() => receiver.mtu === 1500, 2000, 'MTU back to 1500');
  });

  it('moves 9000-byte jumbo frames intact after both ends switch to MTU 9000', async () => {
    const events = Promise.all([once(sender, 'mtu'), once(receiver, 'mtu')]);
    await net.lab.setMtu(0, 9000);
    expect(await events).toEqual([[9000], [9000]]);
    received.length = 0;
    const frames = Array.from({ length: 600 }, (_, i) => makeFrame(receiver.mac, sender.mac, 9014, i));
    await sendAll(sender, frames, 32);
    await until(() => received.length >= frames.length, 5000, '600 jumbo frames');
    expect(received.length).toBe(frames.length);
    expect(digest(received)).toBe(digest(frames));
    const stats = receiver.stats();
    expect(stats.truncated).toBe(0);
    expect(stats.kernelDrops).toBe(0);
  });

  it('re-allocates receive slots when the MTU grows beyond them (12000)', async () => {
    const events = Promise.all([once(sender, 'mtu'), once(receiver, 'mtu')]);
    await net.lab.setMtu(0, 12000);
    expect(await events).toEqual([[12000], [12000]]);
    received.length = 0;
    const frames = Array.from({ length: 100 }, (_, i) => makeFrame(receiver.mac, sender.mac, 12014, i));
    await sendAll(sender, frames, 16);
    await until(() => received.length >= frames.length, 5000, '100 frames of 12014 bytes');
    expect(digest(received)).toBe(digest(frames));
    expect(receiver.stats().truncated).toBe(0);
    await net.lab.setMtu(0, 9000);
  });

  it('throws errors with code, syscall and errno; close is idempotent', async () => {
    const ns = net.lab.targetNs;
    await expect(openPacketLink('nope0', { netns: ns })).rejects.toMatchObject({ code: 'ENODEV', syscall: 'if_nametoindex', errno: -19 });
    await expect(openPacketLink('t0', { netns: 'aoekit-no-such-ns' })).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open' });
    expect(() => interfaceInfo('nope0', ns)).toThrow(expect.objectContaining({ code: 'ENODEV', syscall: 'ioctl(SIOCGIFINDEX)' }));
    const link = await openPacketLink('t0', { netns: ns });
    link.onFrames(() => {});
    await link.close();
    await link.close();
    expect(link.send([Buffer.alloc(60)], [60], 1)).toBe(0);
  });

  it('says CAP_NET_ADMIN is needed when setMtu gets EPERM', async () => {
    const script = `const a = require(${JSON.stringify(ADDON)});
      try { a.packetSetMtu('t0', 1400, ${JSON.stringify(net.lab.targetNs)}); console.log('{}'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, syscall: e.syscall, message: e.message })); }`;
    const { stdout } = await run('capsh', ['--drop=cap_net_admin', '--', '-c', 'exec "$0" "$@"', process.execPath, '-e', script]);
    const error = JSON.parse(stdout) as { code: string; syscall: string; message: string };
    expect(error).toMatchObject({ code: 'EPERM', syscall: 'ioctl(SIOCSIFMTU)' });
    expect(error.message).toContain('CAP_NET_ADMIN');
    expect(interfaceInfo('t0', net.lab.targetNs).mtu).toBe(9000);
  });

  it('leaves no descriptors or handles behind: processes and workers exit cleanly', async () => {
    const ns = JSON.stringify(net.lab.targetNs);
    const open = `const c = new Float64Array(a.counterCount); const h = a.packetOpen('t0', ${ns}, 0, 0, 0, c, 8 << 20, 9280);
      a.packetStart(h, Buffer.alloc(64 * 9280), 9280, 64, new Uint32Array(64), () => {}, () => {});`;
    const script = `const { readdirSync } = require('node:fs'); const { Worker } = require('node:worker_threads');
      const a = require(${JSON.stringify(ADDON)}); const fds = () => readdirSync('/proc/self/fd').length;
      (async () => {
        const before = fds();
        { ${open} await new Promise((resolve) => a.packetClose(h, resolve)); var again = a.packetClose(h, () => {}); }
        const after = fds();
        const quiet = new Worker(\`const a = require(${JSON.stringify(ADDON)}); ${open} a.packetRef(h, false);\`, { eval: true });
        const quietExit = await new Promise((resolve) => quiet.on('exit', resolve));
        const busy = new Worker(\`const a = require(${JSON.stringify(ADDON)}); ${open}\`, { eval: true });
        await new Promise((resolve) => setTimeout(resolve, 200));
        const busyExit = await busy.terminate();
        { ${open} a.packetRef(h, false); } // left open on purpose: the exit cleanup hook closes it
        console.log(JSON.stringify({ before, after, again, quietExit, busyExit }));
      })();`;
    const child = await run(process.execPath, ['-e', script], { timeout: 10_000 }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`child failed: ${error.message}\n${error.stderr ?? ''}`);
    });
    const report = JSON.parse(child.stdout) as Record<string, unknown>;
    expect(report, child.stderr).toEqual({ before: report.before, after: report.before, again: false, quietExit: 0, busyExit: 1 });
  });
});

describe('packet link dispatcher', () => {
  it('rejects with ENOSYS on platforms other than Linux', async () => {
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    vi.resetModules();
    Object.defineProperty(process, 'platform', { value: 'darwin' });
    try {
      const dispatcher = await import('../../src/link/packet-link.js');
      await expect(dispatcher.openPacketLink('eth0')).rejects.toMatchObject({ code: 'ENOSYS', syscall: 'openPacketLink' });
      expect(() => dispatcher.listInterfaces()).toThrow(expect.objectContaining({ code: 'ENOSYS' }));
    } finally {
      Object.defineProperty(process, 'platform', platform);
      vi.resetModules();
    }
  });
});
