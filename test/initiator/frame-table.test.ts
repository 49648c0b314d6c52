// Request frames built in place by the frame table: header per path, tag, ATA argument, padding after a WRITE; one sendSlab per flush.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryHub, type MemoryLink } from '../../src/link/memory-link.js';
import { createOperation } from '../../src/initiator/operation.js';
import { DEFAULT_TUNING, Path } from '../../src/initiator/path.js';
import { LinkPort } from '../../src/initiator/port.js';
import { FrameTable } from '../../src/initiator/frame-table.js';
import { ATA_DATA_OFFSET } from '../../src/wire/constants.js';

let links: MemoryLink[] = [];
afterEach(async () => {
  for (const link of links) LinkPort.of(link).detach();
  await Promise.all(links.map((link) => link.close()));
  links = [];
});

function setup() {
  const hub = new MemoryHub();
  links = ['a', 'b', 't1', 't2'].map((name) => hub.attach(name));
  const [a, b, t1, t2] = links;
  const common = { shelf: 7, slot: 3, bufferCount: 16, targetSectors: 2, tuning: DEFAULT_TUNING, frameCapacitySectors: 2 };
  const paths = [
    new Path({ index: 0, link: a, port: LinkPort.of(a), targetMac: t1.mac, ...common }),
    new Path({ index: 1, link: b, port: LinkPort.of(b), targetMac: t2.mac, ...common }),
  ];
  return { a, b, t1, paths };
}

/** The ATA argument and header the old Buffer-method code wrote, as a reference. */
function expectedRequest(path: Path, tag: number, write: boolean, lba48: boolean, lba: number, sectors: number): Buffer {
  const frame = Buffer.alloc(ATA_DATA_OFFSET);
  frame.writeUIntBE(path.targetMac, 0, 6);
  frame.writeUIntBE(path.link.mac, 6, 6);
  frame.writeUInt16BE(0x88a2, 12);
  frame[14] = 0x10; // version 1, no flags
  frame.writeUInt16BE(7, 16);
  frame[18] = 3;
  frame[19] = 0; // ATA
  frame.writeUInt32BE(tag, 20);
  frame[24] = (lba48 ? 0x40 : 0) | (write ? 0x01 : 0);
  frame[26] = sectors;
  if (lba48) {
    frame[27] = write ? 0x34 : 0x24;
    frame.writeUIntLE(lba, 28, 6);
  } else {
    frame[27] = write ? 0x30 : 0x20;
    frame.writeUIntLE(lba & 0xffffff, 28, 3);
    frame[31] = 0xe0 | ((lba >>> 24) & 0x0f);
  }
  return frame;
}

describe('FrameTable.issue', () => {
  it('rewrites the header when an entry moves to another path and re-zeroes the padding after a WRITE', () => {
    const { paths } = setup();
    const frames = new FrameTable(1, ATA_DATA_OFFSET + 1024); // one entry: every issue reuses it
    const data = Buffer.alloc(1024, 0xab);
    const write = createOperation('write', 4096, data, []);
    let entry = frames.issue(paths[0], write, 0, 1024, true, 1);
    const frame = frames.frames[entry];
    expect(frame.subarray(0, ATA_DATA_OFFSET)).toEqual(expectedRequest(paths[0], frames.tag[entry], true, true, 8, 2));
    expect(frame.subarray(ATA_DATA_OFFSET)).toEqual(data);
    frames.release(entry, paths);

    const lba = 2 ** 40 + 0x12345678; // exercises all six LBA bytes
    const read = createOperation('read', lba * 512, Buffer.alloc(512), []);
    entry = frames.issue(paths[1], read, 0, 512, true, 2);
    expect(frame.subarray(0, ATA_DATA_OFFSET)).toEqual(expectedRequest(paths[1], frames.tag[entry], false, true, lba, 1));
    expect(frame.subarray(ATA_DATA_OFFSET, 60)).toEqual(Buffer.alloc(60 - ATA_DATA_OFFSET));
    frames.release(entry, paths);

    const read28 = createOperation('read', 0x0abcdef1 * 512, Buffer.alloc(1024), []);
    entry = frames.issue(paths[1], read28, 0, 1024, false, 3);
    expect(frame.subarray(0, ATA_DATA_OFFSET)).toEqual(expectedRequest(paths[1], frames.tag[entry], false, false, 0x0abcdef1, 2));
    frames.release(entry, paths);

    entry = frames.issue(paths[0], read, 0, 512, true, 4);
    expect(frame.subarray(0, ATA_DATA_OFFSET)).toEqual(expectedRequest(paths[0], frames.tag[entry], false, true, lba, 1));
  });
});

describe('LinkPort.flush', () => {
  it('sends the frames of one slab with one sendSlab call, and frames of several slabs with send', async () => {
    const { a, t1, paths } = setup();
    const received: Buffer[] = [];
    t1.onFrames((slab, stride, lengths, count) => {
      for (let index = 0; index < count; index += 1)
        received.push(Buffer.from(slab.subarray(index * stride, index * stride + lengths[index])));
    });
    const sendSlab = vi.spyOn(a, 'sendSlab');
    const send = vi.spyOn(a, 'send');
    const frames = new FrameTable(4, ATA_DATA_OFFSET + 1024);
    const read = createOperation('read', 0, Buffer.alloc(3 * 1024), []);
    const issued = [0, 1, 2].map((index) => frames.issue(paths[0], read, index * 1024, 1024, true, 1));
    const port = LinkPort.of(a);
    port.flush();
    expect(sendSlab).toHaveBeenCalledTimes(1);
    expect(send).not.toHaveBeenCalled();
    const other = new FrameTable(1, ATA_DATA_OFFSET + 1024);
    frames.issue(paths[0], createOperation('read', 8192, Buffer.alloc(1024), []), 0, 1024, true, 2);
    other.issue(paths[0], createOperation('read', 16384, Buffer.alloc(1024), []), 0, 1024, true, 2);
    port.flush();
    expect(sendSlab).toHaveBeenCalledTimes(1);
    expect(send).toHaveBeenCalledTimes(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toHaveLength(5);
    for (let index = 0; index < 3; index += 1) {
      expect(received[index]).toEqual(frames.frames[issued[index]].subarray(0, 60));
      expect(received[index].readUInt32BE(20)).toBe(frames.tag[issued[index]]);
    }
  });
});
