// Tests for the network lab: topology, MTU, rate, link state, loss/egress rules, process cleanup and exact teardown.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { NetlabError, createLab, defaultLabPrefix, type Lab } from '../../tools/lab/netlab.js';
import { netDescribe } from '../helpers/lab.js';

interface IpLink {
  ifname: string;
  mtu: number;
  operstate: string;
  flags: string[];
  master?: string;
  stats64?: { rx: { packets: number } };
}

async function ipLinks(lab: Lab, ns: string, ...extra: string[]): Promise<Map<string, IpLink>> {
  const result = await lab.exec(ns, ['ip', '-j', '-s', 'link', 'show', ...extra]);
  expect(result.code, result.stderr).toBe(0);
  return new Map((JSON.parse(result.stdout) as IpLink[]).map((link) => [link.ifname, link]));
}

async function ipLink(lab: Lab, ns: string, name: string): Promise<IpLink> {
  const link = (await ipLinks(lab, ns)).get(name);
  if (!link) throw new Error(`no ${name} in ${ns}`);
  return link;
}

function netnsNames(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name) => name !== '');
}

const ownedBy = (prefix: string) => (name: string) => name.startsWith(`${prefix}-`);

const scratch = mkdtempSync(join(tmpdir(), 'aoekit-netlab-'));
const image = join(scratch, 'disk.img');
writeFileSync(image, Buffer.alloc(1 << 20));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Run vblade on the target's t0 and wait until it announces itself. */
async function startVblade(lab: Lab): Promise<void> {
  const vblade = lab.spawn(lab.targetNs, ['vblade', '1', '2', lab.links[0].targetIf, image], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('e1.2')) resolve();
    };
    vblade.stdout?.on('data', onData);
    vblade.stderr?.on('data', onData);
    vblade.once('exit', (code) => reject(new Error(`vblade exited (${code}): ${output}`)));
    vblade.once('error', reject);
  });
}

/** aoeping e1.2 for one second; vblade's 32-byte runt reply is ignored by aoeping, so count received frames instead. */
async function ping(lab: Lab, ns: string): Promise<{ received: number; stderr: string }> {
  const before = (await ipLink(lab, ns, 'i0')).stats64!.rx.packets;
  const result = await lab.exec(ns, ['aoeping', '-s', '1', '1', '2', 'i0'], { timeoutMs: 5000 });
  const after = (await ipLink(lab, ns, 'i0')).stats64!.rx.packets;
  return { received: after - before, stderr: result.stderr };
}

netDescribe('netlab with two links', { links: 2, mtu: 9000 }, (net) => {
  it('creates both namespaces with i0/i1 and t0/t1 up at the requested MTU, unshaped', async () => {
    const { lab } = net;
    expect(netnsNames()).toEqual(expect.arrayContaining([lab.initiatorNs, lab.targetNs]));
    expect(lab.links).toEqual([
      { initiatorIf: 'i0', targetIf: 't0' },
      { initiatorIf: 'i1', targetIf: 't1' },
    ]);
    expect(lab.extraInitiatorNs).toEqual([]);
    for (const [ns, names] of [
      [lab.initiatorNs, ['i0', 'i1']],
      [lab.targetNs, ['t0', 't1']],
    ] as const) {
      const links = await ipLinks(lab, ns);
      expect([...links.keys()].sort()).toEqual(['lo', ...names].sort());
      for (const name of names) expect(links.get(name)).toMatchObject({ mtu: 9000, operstate: 'UP' });
      const qdiscs = JSON.parse((await lab.exec(ns, ['tc', '-j', 'qdisc', 'show'])).stdout) as { kind: string }[];
      expect(qdiscs.map((qdisc) => qdisc.kind)).not.toContain('tbf');
    }
  });

  it('takes one side of a link down and up, and changes the MTU of one link', async () => {
    const { lab } = net;
    await lab.setLinkUp(0, false, 'target');
    expect((await ipLink(lab, lab.targetNs, 't0')).flags).not.toContain('UP');
    expect((await ipLink(lab, lab.initiatorNs, 'i0')).operstate).not.toBe('UP');
    expect((await ipLink(lab, lab.initiatorNs, 'i1')).operstate).toBe('UP');
    await lab.setLinkUp(0, true);
    expect((await ipLink(lab, lab.targetNs, 't0')).operstate).toBe('UP');
    expect((await ipLink(lab, lab.initiatorNs, 'i0')).operstate).toBe('UP');

    await lab.setMtu(1, 1500);
    expect((await ipLink(lab, lab.initiatorNs, 'i1')).mtu).toBe(1500);
    expect((await ipLink(lab, lab.targetNs, 't1')).mtu).toBe(1500);
    expect((await ipLink(lab, lab.initiatorNs, 'i0')).mtu).toBe(9000);
    await expect(lab.setMtu(2, 1500)).rejects.toMatchObject({ code: 'ERR_NETLAB_USAGE' });
  });

  it('drops AoE frames with ingress loss rules and fails sends with egress drops, then clears both', async () => {
    const { lab } = net;
    await startVblade(lab);
    expect((await ping(lab, lab.initiatorNs)).received).toBe(1); // vblade answered

    await lab.addLoss(100, { side: 'target', index: 0 });
    expect((await ping(lab, lab.initiatorNs)).received).toBe(0);
    const counters = await lab.dropCounters();
    expect(counters).toEqual([{ namespace: lab.targetNs, kind: 'loss', device: 't0', packets: 1 }]);
    await lab.clearLoss();
    expect((await lab.exec(lab.targetNs, ['nft', 'list', 'ruleset'])).stdout.trim()).toBe('');
    expect((await ping(lab, lab.initiatorNs)).received).toBe(1);

    await lab.addEgressDrop('initiator', 0);
    const blocked = await lab.exec(lab.initiatorNs, ['aoeping', '-s', '1', '1', '2', 'i0'], { timeoutMs: 5000 });
    expect(blocked.stderr).toContain('No buffer space available'); // ENOBUFS at the sender
    await lab.clearEgressDrop();
    expect(await lab.dropCounters()).toEqual([]);
  });
});

netDescribe('netlab with a rate limit', { links: 1, rate: '1gbit' }, (net) => {
  it('puts tbf 1gbit on both ends of the link', async () => {
    const { lab } = net;
    expect(lab.rate).toBe('1gbit');
    for (const [ns, device] of [
      [lab.initiatorNs, 'i0'],
      [lab.targetNs, 't0'],
    ]) {
      const qdiscs = JSON.parse((await lab.exec(ns, ['tc', '-j', 'qdisc', 'show', 'dev', device])).stdout) as {
        kind: string;
        options?: { rate?: number };
      }[];
      expect(qdiscs).toHaveLength(1);
      expect(qdiscs[0]).toMatchObject({ kind: 'tbf', options: { rate: 125_000_000 } }); // bytes per second
    }
  });
});

netDescribe('netlab with an extra initiator', { links: 1, extraInitiators: 1 }, (net) => {
  it('bridges both initiators and the target on one segment per link', async () => {
    const { lab } = net;
    expect(lab.extraInitiatorNs).toEqual([`${lab.prefix}-ini2`]);
    expect(lab.switchNs).toBe(`${lab.prefix}-sw`);
    const ports = await ipLinks(lab, lab.switchNs!, 'master', 'b0');
    expect([...ports.keys()].sort()).toEqual(['b0i1', 'b0i2', 'b0t']);

    await lab.setMtu(0, 9000);
    for (const ns of [lab.initiatorNs, lab.extraInitiatorNs[0]]) expect((await ipLink(lab, ns, 'i0')).mtu).toBe(9000);
    expect((await ipLink(lab, lab.targetNs, 't0')).mtu).toBe(9000);
    expect((await ipLink(lab, lab.switchNs!, 'b0')).mtu).toBe(9000);

    await startVblade(lab);
    expect((await ping(lab, lab.extraInitiatorNs[0])).received).toBe(1); // the second initiator reaches the target
    expect((await ping(lab, lab.initiatorNs)).received).toBe(1);
  });
});

netDescribe('netlab lifecycle', { links: 1 }, (net) => {
  it('destroys exactly its own namespaces and processes, idempotently', async () => {
    const { lab } = net;
    const neighbour = await createLab({ prefix: `${lab.prefix}x`, links: 1 }); // shares our prefix as a string prefix
    try {
      await expect(createLab({ prefix: lab.prefix })).rejects.toMatchObject({ code: 'ERR_NETLAB_EXISTS' });
      await expect(lab.exec(neighbour.targetNs, ['true'])).rejects.toMatchObject({ code: 'ERR_NETLAB_FOREIGN_NAMESPACE' });
      expect(() => lab.spawn(neighbour.targetNs, ['true'])).toThrow(expect.objectContaining({ code: 'ERR_NETLAB_FOREIGN_NAMESPACE' }));
      const sleeper = lab.spawn(lab.targetNs, ['sleep', '60']);
      await once(sleeper, 'spawn');

      expect(netnsNames().filter(ownedBy(lab.prefix)).sort()).toEqual([lab.initiatorNs, lab.targetNs].sort());
      await lab.destroy();
      expect(sleeper.signalCode).toBe('SIGTERM');
      expect(netnsNames().filter(ownedBy(lab.prefix))).toEqual([]);
      expect(netnsNames()).toEqual(expect.arrayContaining([neighbour.initiatorNs, neighbour.targetNs]));
      await lab.destroy(); // idempotent
      await expect(lab.exec(lab.targetNs, ['true'])).rejects.toMatchObject({ code: 'ERR_NETLAB_DESTROYED' });
    } finally {
      await neighbour.destroy();
    }
    expect(netnsNames().filter(ownedBy(neighbour.prefix))).toEqual([]);
  });
});

describe('netlab argument checks', () => {
  it('gives unique short prefixes and rejects bad ones before touching anything', async () => {
    const [first, second] = [defaultLabPrefix(), defaultLabPrefix()];
    expect(first).not.toBe(second);
    expect(first).toMatch(/^[a-z][a-z0-9]{0,15}$/);
    const error = await createLab({ prefix: 'Bad-Prefix' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetlabError);
    expect(error).toMatchObject({ code: 'ERR_NETLAB_USAGE' });
  });
});
