// Test helper: builds raw AoE request frames by hand (independent of src/wire encoders) and collects replies on a MemoryLink.
import type { Link } from '../../src/link/link.js';

export const ETH_BROADCAST = 0xffffffffffff;

export interface HeaderFields {
  destination?: number;
  source: number;
  shelf: number;
  slot: number;
  command: number;
  tag: number;
  version?: number;
  flags?: number;
}

function putMac(buf: Buffer, offset: number, mac: number): void {
  buf.writeUIntBE(mac, offset, 6);
}

export function header(buf: Buffer, fields: HeaderFields): void {
  putMac(buf, 0, fields.destination ?? ETH_BROADCAST);
  putMac(buf, 6, fields.source);
  buf.writeUInt16BE(0x88a2, 12);
  buf[14] = ((fields.version ?? 1) << 4) | (fields.flags ?? 0);
  buf[15] = 0;
  buf.writeUInt16BE(fields.shelf, 16);
  buf[18] = fields.slot;
  buf[19] = fields.command;
  buf.writeUInt32BE(fields.tag >>> 0, 20);
}

export interface AtaFields extends Omit<HeaderFields, 'command'> {
  aflags?: number;
  feature?: number;
  sectorCount: number;
  ataCommand: number;
  lba?: number;
  /** Raw LBA bytes 28..33 (overrides lba). */
  lbaBytes?: number[];
  data?: Uint8Array;
}

/** ATA request, not padded (a runt, like real initiators send). */
export function ataFrame(fields: AtaFields): Buffer {
  const buf = Buffer.alloc(36 + (fields.data?.length ?? 0));
  header(buf, { ...fields, command: 0 });
  buf[24] = fields.aflags ?? 0x40;
  buf[25] = fields.feature ?? 0;
  buf[26] = fields.sectorCount;
  buf[27] = fields.ataCommand;
  if (fields.lbaBytes) fields.lbaBytes.forEach((byte, index) => (buf[28 + index] = byte));
  else buf.writeUIntLE(fields.lba ?? 0, 28, 6);
  if (fields.data) buf.set(fields.data, 36);
  return buf;
}

export function configFrame(fields: Omit<HeaderFields, 'command'> & { configCommand: number; configString?: string }): Buffer {
  const text = Buffer.from(fields.configString ?? '', 'utf8');
  const buf = Buffer.alloc(32 + text.length);
  header(buf, { ...fields, command: 1 });
  buf[29] = 0x10 | fields.configCommand;
  buf.writeUInt16BE(text.length, 30);
  text.copy(buf, 32);
  return buf;
}

export function maskFrame(fields: Omit<HeaderFields, 'command'> & { maskCommand: number; directives?: Array<[number, number]> }): Buffer {
  const directives = fields.directives ?? [];
  const buf = Buffer.alloc(28 + 8 * directives.length);
  header(buf, { ...fields, command: 2 });
  buf[25] = fields.maskCommand;
  buf[27] = directives.length;
  directives.forEach(([command, mac], index) => {
    buf[28 + index * 8 + 1] = command;
    putMac(buf, 28 + index * 8 + 2, mac);
  });
  return buf;
}

export function reserveFrame(fields: Omit<HeaderFields, 'command'> & { reserveCommand: number; macs?: number[] }): Buffer {
  const macs = fields.macs ?? [];
  const buf = Buffer.alloc(26 + 6 * macs.length);
  header(buf, { ...fields, command: 3 });
  buf[24] = fields.reserveCommand;
  buf[25] = macs.length;
  macs.forEach((mac, index) => putMac(buf, 26 + index * 6, mac));
  return buf;
}

export interface Reply {
  raw: Buffer;
  destination: number;
  source: number;
  flags: number;
  error: number;
  shelf: number;
  slot: number;
  command: number;
  tag: number;
}

export function parseReply(raw: Buffer): Reply {
  return {
    raw,
    destination: raw.readUIntBE(0, 6),
    source: raw.readUIntBE(6, 6),
    flags: raw[14] & 0x0f,
    error: raw[15],
    shelf: raw.readUInt16BE(16),
    slot: raw[18],
    command: raw[19],
    tag: raw.readUInt32BE(20),
  };
}

/** A fake initiator on a link: sends hand-built frames and keeps copies of every frame it receives. */
export class TestInitiator {
  readonly received: Reply[] = [];
  private waiters: Array<() => void> = [];
  private nextTag = 1;

  constructor(readonly link: Link) {
    link.onFrames((slab, slotSize, lengths, count) => {
      for (let i = 0; i < count; i++) {
        this.received.push(parseReply(Buffer.from(slab.subarray(i * slotSize, i * slotSize + lengths[i]))));
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  tag(): number {
    return this.nextTag++;
  }

  send(...frames: Buffer[]): void {
    const accepted = this.link.send(
      frames,
      frames.map((frame) => frame.length),
      frames.length,
    );
    if (accepted !== frames.length) throw new Error(`test initiator: link accepted ${accepted}/${frames.length}`);
  }

  /** Wait until `count` replies with this tag arrived (or the timeout), then return them. */
  async waitTag(tag: number, count = 1, timeoutMs = 1000): Promise<Reply[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.filter((reply) => reply.tag === tag);
      if (found.length >= count) return found;
      const left = deadline - Date.now();
      if (left <= 0) return found;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Send one request and return its single reply (throws when none arrives). */
  async request(frame: Buffer, timeoutMs = 1000): Promise<Reply> {
    const tag = frame.readUInt32BE(20);
    this.send(frame);
    const [reply] = await this.waitTag(tag, 1, timeoutMs);
    if (!reply) throw new Error(`no reply for tag ${tag}`);
    return reply;
  }

  /** Send and expect silence for `ms`. Returns the replies that arrived anyway. */
  async expectSilence(frame: Buffer, ms = 100): Promise<Reply[]> {
    const tag = frame.readUInt32BE(20);
    this.send(frame);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.received.filter((reply) => reply.tag === tag);
  }
}
