// Tests for the lab's guest ports: a tap bridged with a link's initiator end, MTU changes, deletion by name, removal with the lab.
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { createLab, type Lab } from '../../tools/lab/netlab.js';
import { netDescribe } from '../helpers/lab.js';

interface IpLink {
  ifname: string;
  mtu: number;
  master?: string;
  flags: string[];
}

async function links(lab: Lab): Promise<Map<string, IpLink>> {
  const result = await lab.exec(lab.initiatorNs, ['ip', '-j', 'link', 'show']);
  expect(result.code, result.stderr).toBe(0);
  return new Map((JSON.parse(result.stdout) as IpLink[]).map((link) => [link.ifname, link]));
}

const stateDir = process.env.AOEKIT_NETLAB_STATE_DIR ?? '/run/aoekit-netlab';

netDescribe('netlab guest port', { links: 2, mtu: 1500 }, (net) => {
  it('bridges a tap with i1 at the link MTU, follows setMtu, refuses a second one, and is deleted by name', async () => {
    const { lab } = net;
    const port = await lab.addGuestPort(1);
    expect(port).toEqual({ namespace: lab.initiatorNs, tap: 'gt1', bridge: 'gb1', mtu: 1500 });
    let now = await links(lab);
    expect(now.get('gt1')).toMatchObject({ master: 'gb1', mtu: 1500, flags: expect.arrayContaining(['UP']) });
    expect(now.get('i1')).toMatchObject({ master: 'gb1' });
    expect(now.get('gb1')).toMatchObject({ mtu: 1500, flags: expect.arrayContaining(['UP']) });
    expect(now.get('i0')?.master).toBeUndefined();
    await expect(lab.addGuestPort(1)).rejects.toMatchObject({ code: 'ERR_NETLAB_EXISTS' });

    await lab.setMtu(1, 9000);
    now = await links(lab);
    for (const name of ['i1', 'gt1', 'gb1']) expect(now.get(name)?.mtu, name).toBe(9000);

    await lab.removeGuestPort(1);
    now = await links(lab);
    expect(now.has('gt1')).toBe(false);
    expect(now.has('gb1')).toBe(false);
    expect(now.get('i1')?.master).toBeUndefined();
    await lab.removeGuestPort(1); // nothing recorded any more: a no-op
  });

  it('goes with the lab: destroy deletes the tap and bridge it recorded, then the namespaces', async () => {
    const lab = await createLab({ prefix: `${net.lab.prefix}g`, links: 1 });
    try {
      await lab.addGuestPort(0);
      expect(existsSync(`${stateDir}/${lab.prefix}.devices`)).toBe(true);
    } finally {
      await lab.destroy();
    }
    expect(existsSync(`${stateDir}/${lab.prefix}.devices`)).toBe(false);
    expect(existsSync(`/run/netns/${lab.initiatorNs}`)).toBe(false);
  });
});
