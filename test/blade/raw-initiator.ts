// Integration-test helper: a small pipelined AoE initiator over raw frames (PacketLink in the initiator namespace).
import type { Link } from '../../src/link/link.js';
import { ataFrame, configFrame, parseReply, type Reply } from './aoe-test-client.js';

interface Outstanding {
  frame: Buffer;
  lba: number;
  sectors: number;
  sentAt: number;
  retries: number;
}

/** Sends frames, matches replies by tag, retransmits after `retransmitMs`. One instance per link. */
export class RawInitiator {
  private nextTag = 0x1000;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  /** Every reply seen (copied), for assertions on unsolicited frames. */
  replies = 0;

  constructor(
    readonly link: Link,
    readonly shelf: number,
    readonly slot: number,
  ) {
    link.onFrames((slab, slotSize, lengths, count) => {
      for (let i = 0; i < count; i++) {
        const start = i * slotSize;
        if (lengths[i] < 24 || slab.readUInt16BE(start + 12) !== 0x88a2 || (slab[start + 14] & 0x08) === 0) continue;
        if (slab.readUInt16BE(start + 16) !== shelf || slab[start + 18] !== slot) continue;
        const tag = slab.readUInt32BE(start + 20);
        const resolve = this.waiting.get(tag);
        if (resolve === undefined) continue;
        this.replies++;
        this.waiting.delete(tag);
        resolve(parseReply(Buffer.from(slab.subarray(start, start + lengths[i]))));
      }
    });
  }

  tag(): number {
    this.nextTag = (this.nextTag + 1) >>> 0;
    return this.nextTag;
  }

  /** Send one frame (its tag at offset 20) and wait for the reply; undefined on timeout. Retransmits every retransmitMs. */
  async request(frame: Buffer, timeoutMs = 1000, retransmitMs = 250): Promise<Reply | undefined> {
    const tag = frame.readUInt32BE(20);
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (reply: Reply | undefined) => {
        clearTimeout(timer);
        this.waiting.delete(tag);
        resolve(reply);
      };
      this.waiting.set(tag, finish);
      const transmit = () => {
        if (Date.now() >= deadline) return finish(undefined);
        this.link.send([frame], [frame.length], 1);
        timer = setTimeout(transmit, Math.min(retransmitMs, Math.max(1, deadline - Date.now())));
      };
      transmit();
    });
  }

  /** Learn the target's MAC (the source of its Query Config answer) on this link. */
  async discover(timeoutMs = 2000): Promise<{ mac: number; sectors: number; bufferCount: number }> {
    const reply = await this.request(
      configFrame({ source: this.link.mac, shelf: this.shelf, slot: this.slot, tag: this.tag(), configCommand: 0 }),
      timeoutMs,
    );
    if (!reply) throw new Error(`no Query Config answer from e${this.shelf}.${this.slot} on ${this.link.name}`);
    return { mac: reply.source, sectors: reply.raw[28], bufferCount: reply.raw.readUInt16BE(24) };
  }

  ata(targetMac: number, fields: { sectorCount: number; ataCommand: number; lba?: number; data?: Uint8Array; aflags?: number }): Buffer {
    const isWrite = fields.ataCommand === 0x30 || fields.ataCommand === 0x34;
    return ataFrame({
      source: this.link.mac,
      destination: targetMac,
      shelf: this.shelf,
      slot: this.slot,
      tag: this.tag(),
      aflags: fields.aflags ?? 0x40 | (isWrite ? 1 : 0),
      ...fields,
    });
  }

  /**
   * Pipelined transfer of `buffer` (write) or into `buffer` (read) starting at `startLba`, `inFlight` requests
   * outstanding, `sectorsPerFrame` each. Throws on an ATA error or when a request exhausts its retries.
   */
  async transfer(
    targetMac: number,
    mode: 'read' | 'write',
    buffer: Buffer,
    startLba: number,
    sectorsPerFrame: number,
    inFlight = 16,
  ): Promise<{ retransmits: number }> {
    const totalSectors = buffer.length / 512;
    let nextSector = 0;
    let done = 0;
    let retransmits = 0;
    const outstanding = new Map<number, Outstanding>();
    return new Promise((resolve, reject) => {
      let failed = false;
      const fail = (error: Error) => {
        if (failed) return;
        failed = true;
        clearInterval(checker);
        reject(error);
      };
      const fill = () => {
        const frames: Buffer[] = [];
        while (outstanding.size < inFlight && nextSector < totalSectors) {
          const sectors = Math.min(sectorsPerFrame, totalSectors - nextSector);
          const offset = nextSector * 512;
          const frame = this.ata(targetMac, {
            sectorCount: sectors,
            ataCommand: mode === 'read' ? 0x24 : 0x34,
            lba: startLba + nextSector,
            data: mode === 'write' ? buffer.subarray(offset, offset + sectors * 512) : undefined,
          });
          const tag = frame.readUInt32BE(20);
          const entry: Outstanding = { frame, lba: nextSector, sectors, sentAt: Date.now(), retries: 0 };
          outstanding.set(tag, entry);
          this.waiting.set(tag, (reply) => onReply(tag, reply));
          frames.push(frame);
          nextSector += sectors;
        }
        if (frames.length)
          this.link.send(
            frames,
            frames.map((frame) => frame.length),
            frames.length,
          );
      };
      const onReply = (tag: number, reply: Reply) => {
        const entry = outstanding.get(tag);
        if (!entry || failed) return;
        outstanding.delete(tag);
        if (reply.flags & 0x4) return fail(new Error(`AoE error ${reply.error} at sector ${entry.lba}`));
        if (reply.raw[27] !== 0x40)
          return fail(new Error(`ATA status 0x${reply.raw[27].toString(16)} error 0x${reply.raw[25].toString(16)} at sector ${entry.lba}`));
        if (mode === 'read') reply.raw.copy(buffer, entry.lba * 512, 36, 36 + entry.sectors * 512);
        done += entry.sectors;
        if (done === totalSectors) {
          clearInterval(checker);
          resolve({ retransmits });
          return;
        }
        fill();
      };
      const checker = setInterval(() => {
        const now = Date.now();
        for (const [tag, entry] of outstanding) {
          if (now - entry.sentAt < 200) continue;
          if (++entry.retries > 20) return fail(new Error(`no reply for sector ${entry.lba} after 20 retransmits`));
          retransmits++;
          entry.sentAt = now;
          this.link.send([entry.frame], [entry.frame.length], 1);
          this.waiting.set(tag, (reply) => onReply(tag, reply));
        }
      }, 50);
      fill();
    });
  }
}
