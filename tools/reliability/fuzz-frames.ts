// Seeded generator of random, edge-case and mutated AoE request frames for fuzzing a target (all command types).
import { seededRandom } from '../../src/link/memory-impairment.js';

export interface FuzzAddressing {
  targetMac: number;
  /** Initiator MACs that send most frames (so mask and reservation states matter). */
  sources: number[];
  /** shelf.slot pairs the target serves (edge LBAs are computed from their sector counts). */
  exports: Array<{ shelf: number; slot: number; sectors: number }>;
  /** Largest frame the link carries (MTU + 14). */
  maxFrame: number;
}

const ATA_COMMANDS = [0xec, 0x20, 0x24, 0x30, 0x34, 0xe7, 0xea, 0xe5, 0x00, 0x25, 0x35, 0xc8, 0xca, 0xff];
const SECTOR_COUNTS = [0, 1, 2, 3, 16, 17, 18, 127, 128, 255];
const CONFIG_STRINGS = ['', 'a', 'rack7', 'rack7-extra', 'x'.repeat(1024)];

export class FrameFuzzer {
  readonly random: () => number;
  private readonly last: Buffer;
  private lastLength = 0;
  /** Kind of the last frame generated, for figures. */
  kind = '';

  constructor(
    private readonly addressing: FuzzAddressing,
    seed: number,
  ) {
    this.random = seededRandom(seed);
    this.last = Buffer.alloc(addressing.maxFrame);
  }

  private int(limit: number): number {
    return Math.floor(this.random() * limit);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  private mac(): number {
    const roll = this.random();
    if (roll < 0.85) return this.pick(this.addressing.sources);
    if (roll < 0.9) return 0xffffffffffff;
    return this.int(2 ** 24) * 2 ** 24 + this.int(2 ** 24);
  }

  private shelfSlot(): [number, number] {
    const roll = this.random();
    const known = this.pick(this.addressing.exports);
    if (roll < 0.7) return [known.shelf, known.slot];
    if (roll < 0.8) return [0xffff, 0xff];
    if (roll < 0.85) return [known.shelf, 0xff];
    if (roll < 0.9) return [0xffff, known.slot];
    if (roll < 0.95) return [known.shelf, (known.slot + 1 + this.int(3)) & 0xff];
    return [this.int(0x10000), this.int(0x100)];
  }

  private header(frame: Buffer, command: number): void {
    const destination = this.random() < 0.8 ? this.addressing.targetMac : 0xffffffffffff;
    frame.writeUIntBE(destination, 0, 6);
    frame.writeUIntBE(this.mac(), 6, 6);
    frame.writeUInt16BE(0x88a2, 12);
    const roll = this.random();
    frame[14] = roll < 0.9 ? 0x10 : roll < 0.94 ? 0x10 | this.int(16) : this.int(256); // version 1, sometimes odd flags/versions
    frame[15] = this.random() < 0.95 ? 0 : this.int(256);
    const [shelf, slot] = this.shelfSlot();
    frame.writeUInt16BE(shelf, 16);
    frame[18] = slot;
    frame[19] = command;
    frame.writeUInt32BE(this.int(2 ** 32), 20);
  }

  private lba(sectors: number, sectorCount: number): number {
    const edges = [
      0,
      1,
      sectors - 1,
      sectors - sectorCount,
      sectors - sectorCount + 1,
      sectors,
      sectors + 1,
      2 ** 28 - 1,
      2 ** 28,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 48 - 1,
      2 ** 48 - sectorCount,
    ];
    const roll = this.random();
    if (roll < 0.5) return Math.min(2 ** 48 - 1, Math.max(0, this.pick(edges)));
    if (roll < 0.8) return this.int(Math.max(1, sectors));
    return this.int(2 ** 24) * 2 ** 24 + this.int(2 ** 24);
  }

  /** A frame with the given length limit; returns its length. Bytes past the length are undefined. */
  private ata(frame: Buffer): number {
    this.header(frame, 0);
    let target = this.pick(this.addressing.exports);
    const plausible = this.random() < 0.5; // half the ATA frames are well-formed I/O inside the export, so the store is exercised
    const maxSectors = Math.floor((this.addressing.maxFrame - 14 - 36) / 512);
    let sectorCount = this.random() < 0.7 ? this.pick(SECTOR_COUNTS) : this.int(256);
    let command = this.random() < 0.85 ? this.pick(ATA_COMMANDS) : this.int(256);
    if (plausible) {
      const shelf = frame.readUInt16BE(16);
      const slot = frame[18];
      target = this.addressing.exports.find((item) => item.shelf === shelf && item.slot === slot) ?? target;
      sectorCount = 1 + this.int(maxSectors);
      command = this.pick([0x20, 0x24, 0x30, 0x34]);
    }
    const roll = this.random();
    frame[24] =
      roll < 0.45 ? 0x40 | (command === 0x30 || command === 0x34 ? 1 : 0) : roll < 0.7 ? 0x40 : roll < 0.85 ? 0x00 : this.int(256);
    frame[25] = this.random() < 0.9 ? 0 : this.int(256);
    frame[26] = sectorCount;
    frame[27] = command;
    const lba = plausible ? this.int(Math.max(1, target.sectors - sectorCount + 1)) : this.lba(target.sectors, sectorCount);
    frame.writeUIntLE(lba, 28, 6);
    if (plausible) frame[24] = 0x40 | (command === 0x30 || command === 0x34 ? 1 : 0);
    if ((frame[24] & 0x40) === 0 && this.random() < 0.5) frame[31] = 0xe0 | (frame[31] & 0x0f); // LBA28 device register
    frame[34] = this.random() < 0.95 ? 0 : this.int(256);
    frame[35] = this.random() < 0.95 ? 0 : this.int(256);
    const full = 36 + sectorCount * 512;
    const lengthRoll = this.random();
    let length =
      plausible || lengthRoll < 0.6 ? full : lengthRoll < 0.75 ? 36 : lengthRoll < 0.9 ? 24 + this.int(full - 23) : full + this.int(600);
    length = Math.min(length, this.addressing.maxFrame);
    for (let i = 36; i < length; i += 64) frame[i] = this.int(256); // sparse data bytes
    return length;
  }

  private config(frame: Buffer): number {
    this.header(frame, 1);
    const text = Buffer.from(this.pick(CONFIG_STRINGS));
    frame.writeUInt16BE(this.int(0x10000), 24);
    frame.writeUInt16BE(this.int(0x10000), 26);
    frame[28] = this.int(256);
    frame[29] = (this.random() < 0.9 ? 0x10 : this.int(16) << 4) | (this.random() < 0.8 ? this.int(5) : this.int(16));
    const roll = this.random();
    const declared = roll < 0.7 ? text.length : roll < 0.85 ? this.int(0x10000) : text.length + 1 - this.int(3);
    frame.writeUInt16BE(Math.max(0, declared) & 0xffff, 30);
    const available = Math.min(text.length, this.addressing.maxFrame - 32);
    text.copy(frame, 32, 0, available);
    const length = this.random() < 0.8 ? 32 + available : 24 + this.int(9 + available);
    return Math.min(length, this.addressing.maxFrame);
  }

  private mask(frame: Buffer): number {
    this.header(frame, 2);
    frame[24] = this.random() < 0.9 ? 0 : this.int(256);
    frame[25] = this.random() < 0.85 ? this.int(2) : this.int(256);
    frame[26] = this.random() < 0.9 ? 0 : this.int(256);
    const actual = this.random() < 0.9 ? this.int(4) : this.int(70);
    const roll = this.random();
    frame[27] = roll < 0.8 ? actual : this.int(256);
    let at = 28;
    for (let i = 0; i < actual && at + 8 <= this.addressing.maxFrame; i++, at += 8) {
      frame[at] = this.random() < 0.9 ? 0 : this.int(256);
      frame[at + 1] = this.random() < 0.9 ? this.int(3) : this.int(256);
      frame.writeUIntBE(this.mac(), at + 2, 6);
    }
    return this.random() < 0.9 ? at : 24 + this.int(at - 23);
  }

  private reserve(frame: Buffer): number {
    this.header(frame, 3);
    frame[24] = this.random() < 0.85 ? this.int(3) : this.int(256);
    const actual = this.random() < 0.9 ? this.int(3) : this.int(70);
    frame[25] = this.random() < 0.85 ? actual : this.int(256);
    let at = 26;
    for (let i = 0; i < actual && at + 6 <= this.addressing.maxFrame; i++, at += 6) frame.writeUIntBE(this.mac(), at, 6);
    return this.random() < 0.9 ? at : 24 + this.int(at - 23);
  }

  private noise(frame: Buffer): number {
    const length = this.int(Math.min(this.addressing.maxFrame, 1200) + 1);
    for (let i = 0; i < length; i++) frame[i] = this.int(256);
    if (length >= 14 && this.random() < 0.7) frame.writeUInt16BE(0x88a2, 12);
    if (length >= 15 && this.random() < 0.5) frame[14] = 0x10 | (frame[14] & 0x07);
    return length;
  }

  private mutate(frame: Buffer): number {
    const length = Math.max(this.lastLength, 14);
    this.last.copy(frame, 0, 0, length);
    const flips = 1 + this.int(4);
    for (let i = 0; i < flips; i++) frame[this.int(Math.min(length, 64))] = this.int(256);
    const roll = this.random();
    if (roll < 0.2) return this.int(length + 1);
    if (roll < 0.3) return Math.min(this.addressing.maxFrame, length + this.int(64));
    return length;
  }

  /** Write the next fuzz frame into `frame` (at least maxFrame bytes); returns its length. */
  next(frame: Buffer): number {
    const roll = this.random();
    let length: number;
    if (roll < 0.4) {
      this.kind = 'ata';
      length = this.ata(frame);
    } else if (roll < 0.5) {
      this.kind = 'config';
      length = this.config(frame);
    } else if (roll < 0.6) {
      this.kind = 'mask';
      length = this.mask(frame);
    } else if (roll < 0.7) {
      this.kind = 'reserve';
      length = this.reserve(frame);
    } else if (roll < 0.75) {
      this.kind = 'command';
      this.header(frame, this.int(256));
      length = 24 + this.int(40);
    } else if (roll < 0.83) {
      this.kind = 'noise';
      length = this.noise(frame);
    } else {
      this.kind = 'mutated';
      length = this.lastLength > 0 ? this.mutate(frame) : this.noise(frame);
    }
    length = Math.max(0, Math.min(length, this.addressing.maxFrame));
    if (this.kind !== 'mutated' && this.kind !== 'noise') {
      frame.copy(this.last, 0, 0, length);
      this.lastLength = length;
    }
    return length;
  }
}
