// Control-plane commands: request bytes from the src/wire writers, replies checked by the shared *ArgProblem functions.
import { afterEach, describe, expect, it } from 'vitest';
import { identify, maskList, queryConfig, reserve } from '../../src/initiator/commands.js';
import { LinkPort } from '../../src/initiator/port.js';
import { MemoryHub, type MemoryLink } from '../../src/link/memory-link.js';
import { writeConfigArg } from '../../src/wire/config-arg.js';
import { writeReplyHeader } from '../../src/wire/frame-header.js';
import { writeMaskArg } from '../../src/wire/mask-arg.js';
import { writeReserveArg } from '../../src/wire/reserve-arg.js';

const INITIATOR = 0x020000000101;
const TARGET = 0x020000000202;
const OTHER = 0x020000000303;
const SHELF = 7;
const SLOT = 3;
const QUICK = { timeoutMs: 50, retries: 0 };

let links: MemoryLink[] = [];
afterEach(async () => {
  for (const link of links) LinkPort.of(link).detach();
  await Promise.all(links.map((link) => link.close()));
  links = [];
});

/** A target MAC whose replies come from `respond` (undefined: no reply); every request it saw is kept. */
function scriptedTarget(respond: (request: Buffer) => Buffer | undefined) {
  const hub = new MemoryHub();
  const initiator = hub.attach('i0', { mac: INITIATOR });
  const target = hub.attach('t0', { mac: TARGET });
  links.push(initiator, target);
  const requests: Buffer[] = [];
  target.onFrames((slab, stride, lengths, count) => {
    for (let index = 0; index < count; index += 1) {
      const request = Buffer.from(slab.subarray(index * stride, index * stride + lengths[index]));
      requests.push(request);
      const reply = respond(request);
      if (reply) target.send([reply], [reply.length], 1);
    }
  });
  return { target: { port: LinkPort.of(initiator), mac: TARGET, shelf: SHELF, slot: SLOT }, requests };
}

/** The start of a reply of `length` bytes: the request's argument bytes, then our header over them. */
function replyTo(request: Buffer, length: number): Buffer {
  const reply = Buffer.alloc(length);
  request.copy(reply, 0, 0, Math.min(length, request.length));
  writeReplyHeader(reply, 0, request, 0, SHELF, SLOT, 0);
  reply.writeUIntBE(TARGET, 6, 6);
  reply.writeUInt16BE(0x88a2, 12);
  return reply;
}

describe('Query Config', () => {
  it('sends CCmd read with version 1 and parses the reply', async () => {
    const { target, requests } = scriptedTarget((request) => {
      const reply = replyTo(request, 60);
      writeConfigArg(reply, 0, 16, 0x4019, 2, 1, 0, Buffer.from('rack1'), 5);
      return reply;
    });
    const info = await queryConfig(target, QUICK);
    expect(info).toEqual({
      shelf: SHELF,
      slot: SLOT,
      mac: TARGET,
      bufferCount: 16,
      firmwareVersion: 0x4019,
      sectorCount: 2,
      aoeVersion: 1,
      configString: 'rack1',
    });
    const request = requests[0];
    expect(request.readUIntBE(0, 6)).toBe(TARGET);
    expect(request.readUIntBE(6, 6)).toBe(INITIATOR);
    expect([request[14], request.readUInt16BE(16), request[18], request[19], request[29]]).toEqual([0x10, SHELF, SLOT, 1, 0x10]);
  });

  it('a reply whose string runs past its end is ERR_AOE_SHORT_FRAME, not a string read past the frame', async () => {
    const { target } = scriptedTarget((request) => {
      const reply = replyTo(request, 36);
      writeConfigArg(reply, 0, 16, 0, 2, 1, 0, Buffer.from('abcd'), 4);
      reply.writeUInt16BE(40, 30); // announces 40 bytes, carries 4
      return reply;
    });
    await expect(queryConfig(target, QUICK)).rejects.toMatchObject({ code: 'ERR_AOE_SHORT_FRAME' });
  });
});

describe('IDENTIFY', () => {
  it('a reply cut inside the ATA argument is ERR_AOE_SHORT_FRAME', async () => {
    const { target, requests } = scriptedTarget((request) => replyTo(request, 30));
    await expect(identify(target, QUICK)).rejects.toMatchObject({ code: 'ERR_AOE_SHORT_FRAME' });
    expect([requests[0][24], requests[0][26], requests[0][27]]).toEqual([0, 1, 0xec]);
  });

  it('a reply with reserved aflags bits is ERR_AOE_BAD_REPLY (never ERR_AOE_RESERVED, which is AoE error 6)', async () => {
    const { target } = scriptedTarget((request) => {
      const reply = replyTo(request, 36 + 512);
      reply[24] = 0x80;
      reply[27] = 0x40;
      return reply;
    });
    await expect(identify(target, QUICK)).rejects.toMatchObject({ code: 'ERR_AOE_BAD_REPLY' });
  });
});

describe('Mac Mask List', () => {
  it('sends MCmd edit with DCmd add/delete per directive and returns the list of the reply', async () => {
    const { target, requests } = scriptedTarget((request) => {
      const reply = replyTo(request, 60);
      writeMaskArg(reply, 0, 1, 0, [{ command: 0, mac: OTHER }]);
      return reply;
    });
    expect(
      await maskList(
        target,
        [
          { command: 'add', mac: OTHER },
          { command: 'delete', mac: INITIATOR },
        ],
        QUICK,
      ),
    ).toEqual([OTHER]);
    const request = requests[0];
    expect([request[24], request[25], request[26], request[27]]).toEqual([0, 1, 0, 2]);
    expect([request[29], request.readUIntBE(30, 6), request[37], request.readUIntBE(38, 6)]).toEqual([1, OTHER, 2, INITIATOR]);
  });

  it('an MError reply names the error (MaskError.ListFull -> ERR_AOE_MASK_LIST_FULL)', async () => {
    const { target } = scriptedTarget((request) => {
      const reply = replyTo(request, 60);
      writeMaskArg(reply, 0, 1, 3, [], 1);
      return reply;
    });
    await expect(maskList(target, [{ command: 'add', mac: OTHER }], QUICK)).rejects.toMatchObject({ code: 'ERR_AOE_MASK_LIST_FULL' });
  });

  it('a list reply announcing more directives than it carries is ERR_AOE_SHORT_FRAME', async () => {
    const { target } = scriptedTarget((request) => {
      const reply = replyTo(request, 36);
      writeMaskArg(reply, 0, 0, 0, [{ command: 0, mac: OTHER }]);
      reply[27] = 2;
      return reply;
    });
    await expect(maskList(target, [], QUICK)).rejects.toMatchObject({ code: 'ERR_AOE_SHORT_FRAME' });
  });
});

describe('Reserve/Release', () => {
  it('sends RCmd set with the MAC list and returns the list of the reply', async () => {
    const { target, requests } = scriptedTarget((request) => {
      const reply = replyTo(request, 60);
      writeReserveArg(reply, 0, 1, [INITIATOR, OTHER]);
      return reply;
    });
    expect(await reserve(target, [INITIATOR, OTHER], false, QUICK)).toEqual([INITIATOR, OTHER]);
    expect([requests[0][24], requests[0][25], requests[0].readUIntBE(26, 6), requests[0].readUIntBE(32, 6)]).toEqual([
      1,
      2,
      INITIATOR,
      OTHER,
    ]);
  });

  it('a reply announcing more MACs than it carries is ERR_AOE_SHORT_FRAME', async () => {
    const { target } = scriptedTarget((request) => {
      const reply = replyTo(request, 32);
      writeReserveArg(reply, 0, 0, [OTHER]);
      reply[25] = 3;
      return reply;
    });
    await expect(reserve(target, undefined, false, QUICK)).rejects.toMatchObject({ code: 'ERR_AOE_SHORT_FRAME' });
  });
});
