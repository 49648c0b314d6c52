// Scenario 6b + 7 (NIC scope): fuzz frames over a real veth into the target engine; a target never answers on a NIC it was not given.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPacketLink, type PacketLink } from '../../src/link/index.js';
import { recordFigures } from '../../tools/reliability/figures.js';
import { fuzzExports, resetControlState } from '../../tools/reliability/fuzz-rig.js';
import { runLinkFuzz } from '../../tools/reliability/link-fuzz.js';
import { createTarget, type Target } from '../../src/blade/index.js';
import { configFrame, ataFrame, ETH_BROADCAST } from '../blade/aoe-test-client.js';
import { useLab } from '../helpers/lab.js';
import { sleep } from './blade.js';

const FRAMES = Number(process.env.AOEKIT_LINK_FUZZ_FRAMES ?? 100_000);

describe('fuzzing over a real link, NIC scope [netlab]', () => {
  const net = useLab({ links: 2 });
  let target: Target;
  let senders: PacketLink[] = [];
  let guards: ReturnType<typeof fuzzExports>['guards'];

  beforeAll(async () => {
    const lab = net.lab;
    const built = fuzzExports(['t0'], lab.mtu);
    guards = built.guards;
    target = createTarget({
      exports: built.options,
      openLink: (name) => openPacketLink(name, { netns: lab.targetNs, filter: 'requests' }),
      announce: false,
    });
    await target.start();
    senders = await Promise.all(['i0', 'i1'].map((name) => openPacketLink(name, { netns: lab.initiatorNs, filter: 'all' })));
  }, 60_000);
  afterAll(async () => {
    await target?.stop();
    await Promise.all(senders.map((link) => link.close()));
  });

  it(`${FRAMES} fuzz frames over a veth: no crash, no out-of-window access, no reply where silence is due`, async () => {
    const targetMac = target.engines[0].link.mac;
    const figures = await runLinkFuzz({
      sender: senders[0],
      target,
      guards,
      targetMac,
      frames: FRAMES,
      sources: [senders[0].mac, 0x02f000000002],
      seed: 99,
    });
    resetControlState(target.exports);
    // The target still serves after the storm.
    const probeTag = 0xfffffff0;
    const alive = new Promise<boolean>((resolve) => {
      senders[0].onFrames((slab, slotSize, _lengths, count) => {
        for (let i = 0; i < count; i++)
          if (slab.readUInt32BE(i * slotSize + 20) === probeTag && slab[i * slotSize + 14] & 0x08) resolve(true);
      });
      setTimeout(() => resolve(false), 2000);
    });
    const probe = configFrame({ source: senders[0].mac, destination: targetMac, shelf: 1, slot: 2, tag: probeTag, configCommand: 0 });
    senders[0].send([probe], [probe.length], 1);
    recordFigures(
      6,
      'fuzz, real link (veth, AF_PACKET)',
      'Fuzz frames from a raw socket through a veth into a target engine with guarded stores: replies checked by tag against the state-independent silence rules.',
      {
        frames: figures.frames,
        sent: figures.sent,
        replies: figures.replies,
        'replies where silence was due': figures.unexpectedReplies,
        'malformed replies': figures.malformedReplies,
        'out-of-window accesses': figures.guardViolations,
        'must-reply requests unanswered (kernel drops: reported only)': figures.unansweredMustReply,
        'target kernel drops': figures.targetKernelDrops,
        seconds: figures.seconds,
        'frames/s': Math.round(figures.frames / figures.seconds),
      },
    );
    expect(figures.problems).toEqual([]);
    expect(figures.sent).toBe(FRAMES);
    expect(figures.unexpectedReplies).toBe(0);
    expect(figures.malformedReplies).toBe(0);
    expect(figures.guardViolations).toBe(0);
    expect(figures.replies).toBeGreaterThan(FRAMES / 4);
    expect(await alive).toBe(true);
  }, 300_000);

  it('never answers on a NIC it was not told to use (t1 is up, served on t0 only)', async () => {
    const targetMac = target.engines[0].link.mac;
    expect(target.engines.map((engine) => engine.link.name)).toEqual(['t0']);
    const seen = { i0: 0, i1: 0 };
    senders.forEach((link, index) =>
      link.onFrames((slab, slotSize, _lengths, count) => {
        for (let i = 0; i < count; i++)
          if (slab.readUInt16BE(i * slotSize + 12) === 0x88a2 && slab[i * slotSize + 14] & 0x08) seen[index === 0 ? 'i0' : 'i1']++;
      }),
    );
    const requests = (source: number, destination: number, tag: number) => [
      configFrame({ source, destination: ETH_BROADCAST, shelf: 0xffff, slot: 0xff, tag, configCommand: 0 }),
      configFrame({ source, destination: ETH_BROADCAST, shelf: 1, slot: 2, tag: tag + 1, configCommand: 0 }),
      ataFrame({ source, destination, shelf: 1, slot: 2, tag: tag + 2, sectorCount: 1, ataCommand: 0xec }),
      ataFrame({ source, destination: ETH_BROADCAST, shelf: 1, slot: 2, tag: tag + 3, sectorCount: 1, ataCommand: 0x24 }),
    ];
    for (let round = 0; round < 5; round++) {
      const onI1 = requests(senders[1].mac, targetMac, 1000 + round * 10);
      senders[1].send(
        onI1,
        onI1.map((item) => item.length),
        onI1.length,
      );
      await sleep(20);
    }
    await sleep(300);
    const onI0 = requests(senders[0].mac, targetMac, 2000);
    senders[0].send(
      onI0,
      onI0.map((item) => item.length),
      onI0.length,
    );
    await sleep(300);
    recordFigures(
      7,
      'access control, NIC scope (veth)',
      'A target told to serve on t0 answers broadcast and unicast requests there, and sends nothing on t1 (up, same namespace).',
      {
        'requests sent on the unserved NIC': 20,
        'replies on the unserved NIC': seen.i1,
        'requests sent on the served NIC': 4,
        'replies on the served NIC': seen.i0,
      },
    );
    expect(seen.i1).toBe(0);
    expect(seen.i0).toBeGreaterThanOrEqual(4); // the broadcast shelf/slot query reaches all three exports
  }, 60_000);
});
