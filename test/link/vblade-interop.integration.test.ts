// Interop smoke test: Query Config and IDENTIFY built with aoekit's codecs, sent through the addon to Debian's vblade, answered and decoded.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPacketLink, type PacketLink } from '../../src/link/index.js';
import {
  AtaCommand,
  AtaStatus,
  BROADCAST_MAC,
  BROADCAST_SHELF,
  BROADCAST_SLOT,
  Command,
  ConfigCommand,
  FLAG_RESPONSE,
  decodeFrame,
  encodeAtaFrame,
  encodeConfigFrame,
  parseIdentify,
  type DecodedFrame,
} from '../../src/wire/index.js';
import { useLab } from '../helpers/lab.js';

const SECTORS = 16384; // an 8 MiB backing file

describe('vblade interop through the addon and the codecs [netlab]', () => {
  const handle = useLab({ links: 1 });
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'aoekit-interop-'));
  let link: PacketLink;
  const replies: Array<DecodedFrame & { raw: Buffer }> = [];
  const undecodable: Array<{ code: string | undefined; hex: string }> = [];

  beforeAll(async () => {
    const lab = handle.lab;
    const file = path.join(directory, 'disk.img');
    fs.writeFileSync(file, Buffer.alloc(0));
    fs.truncateSync(file, SECTORS * 512);
    lab.spawn(lab.targetNs, ['vblade', '-b', '24', '3', '7', lab.links[0].targetIf, file], { stdio: 'ignore' });
    link = await openPacketLink(lab.links[0].initiatorIf, { netns: lab.initiatorNs, filter: 'responses' });
    link.onFrames((slab, slotSize, lengths, count) => {
      for (let i = 0; i < count; i++) {
        const start = i * slotSize;
        const frame = Buffer.from(slab.subarray(start, start + lengths[i]));
        try {
          replies.push({ ...decodeFrame(frame, frame.length), raw: frame });
        } catch (error) {
          undecodable.push({ code: (error as { code?: string }).code, hex: frame.toString('hex') });
        }
      }
    });
  });

  afterAll(async () => {
    await link?.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  /** Send one frame every 200 ms until a reply with this tag arrives (vblade may still be starting). */
  async function ask(frame: Buffer, length: number, tag: number): Promise<DecodedFrame & { raw: Buffer }> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      expect(link.send([frame], [length], 1)).toBe(1);
      const until = Date.now() + 200;
      while (Date.now() < until) {
        const reply = replies.find((candidate) => candidate.header.tag === tag);
        if (reply) return reply;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    throw new Error(`no reply to tag ${tag.toString(16)}`);
  }

  it('answers a broadcast Query Config with its buffer count and own shelf.slot', async () => {
    const frame = Buffer.alloc(60);
    const length = encodeConfigFrame(frame, {
      destination: BROADCAST_MAC,
      source: link.mac,
      header: { flags: 0, shelf: BROADCAST_SHELF, slot: BROADCAST_SLOT, tag: 0x1001 },
      config: {
        bufferCount: 0,
        firmwareVersion: 0,
        sectorCount: 0,
        aoeVersion: 0,
        command: ConfigCommand.Read,
        configString: new Uint8Array(0),
      },
    });
    const reply = await ask(frame, length, 0x1001);
    expect(reply.header.command).toBe(Command.QueryConfig);
    expect(reply.header.flags & FLAG_RESPONSE).toBe(FLAG_RESPONSE);
    expect(reply.header.error).toBe(0);
    expect([reply.header.shelf, reply.header.slot]).toEqual([3, 7]);
    expect(reply.ethernet.destination).toBe(link.mac);
    expect(reply.config?.bufferCount).toBe(24);
    expect(reply.config?.aoeVersion).toBe(1);
  });

  it('answers IDENTIFY with a page whose capacity matches the backing file', async () => {
    const config = replies.find((reply) => reply.header.tag === 0x1001);
    expect(config).toBeDefined();
    const frame = Buffer.alloc(60);
    const length = encodeAtaFrame(frame, {
      destination: config!.ethernet.source,
      source: link.mac,
      header: { flags: 0, shelf: 3, slot: 7, tag: 0x2002 },
      ata: { flags: 0, errorFeature: 0, sectorCount: 1, commandStatus: AtaCommand.Identify, lba: 0 },
    });
    const reply = await ask(frame, length, 0x2002);
    expect(reply.ata?.commandStatus).toBe(AtaStatus.Ready);
    expect(reply.dataLength).toBeGreaterThanOrEqual(512);
    const identify = parseIdentify(reply.raw, reply.dataOffset);
    expect(identify.sectors).toBe(SECTORS);
    expect(identify.lba48).toBe(true);
    expect(identify.model.length).toBeGreaterThan(0);
  });

  it('rejects only the version-0 start-up announce vblade 25 broadcasts (byte 14 = 0x08, tag 0)', () => {
    // vblade's unsolicited Query Config response carries version nibble 0; AoEr11 §2 says 1, so decode refuses it.
    for (const frame of undecodable) {
      expect(frame.code).toBe('ERR_AOE_BAD_VERSION');
      expect(frame.hex.slice(28, 30)).toBe('08');
      expect(frame.hex.slice(40, 48)).toBe('00000000');
    }
  });
});
