// Copy messages in the user's terms: what an --offset leaves of a device, sizes in MiB, and a refused write that says read-only.
import { describe, expect, it } from 'vitest';
import type { CopyDestination, CopySource } from '../../src/copy/endpoint.js';
import { formatBytes } from '../../src/copy/messages.js';
import { plannedLength } from '../../src/copy/pipeline.js';
import { deviceEndpoint } from '../../src/copy/positional.js';
import type { Device } from '../../src/initiator/device.js';
import { InitiatorError } from '../../src/initiator/errors.js';
import { nbdErrorFor } from '../../src/nbd/block-device.js';
import { NbdError } from '../../src/nbd/protocol.js';

const MiB = 2 ** 20;

function fakeDevice(size: number, write: () => Promise<void> = async () => {}): Device {
  return { name: 'e1.1', size, write, flush: async () => {}, close: async () => {} } as unknown as Device;
}

const file = (size: number | undefined): CopySource & CopyDestination => ({
  label: 'disk.img',
  size,
  sequential: false,
  sectorAligned: false,
  read: async () => 0,
  write: async () => {},
  finish: async () => {},
  close: async () => {},
});

describe('copy messages', () => {
  it('sizes in binary units, exact bytes when not whole', () => {
    expect(formatBytes(64 * MiB)).toBe('64 MiB');
    expect(formatBytes(2 ** 30)).toBe('1 GiB');
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(MiB + 512)).toBe('1.0 MiB (1049088 bytes)');
  });

  it('a file that does not fit after --offset says what the offset leaves of the device', () => {
    const device = deviceEndpoint('e1.1', fakeDevice(64 * MiB), 63 * MiB);
    expect(() => plannedLength(file(2 * MiB), device, undefined)).toThrow(
      '2 MiB from disk.img do not fit: offset 63 MiB leaves 1 MiB of e1.1 (64 MiB)',
    );
    expect(() => plannedLength(device, file(undefined), 2 * MiB)).toThrow('cannot copy 2 MiB: offset 63 MiB leaves 1 MiB of e1.1 (64 MiB)');
  });

  it('without an offset, the device size alone', () => {
    const device = deviceEndpoint('e1.1', fakeDevice(64 * MiB), 0);
    expect(() => plannedLength(file(65 * MiB), device, undefined)).toThrow('65 MiB from disk.img do not fit: e1.1, which holds 64 MiB');
  });

  it('a WRITE refused with ATA ABRT says the export may be read-only, keeping the code ERR_ATA_ABORT', async () => {
    const refuse = () => Promise.reject(new InitiatorError('ERR_ATA_ABORT', 'e1.1: write: ATA status 0x41 error 0x04', 0x04));
    const device = deviceEndpoint('e1.1', fakeDevice(64 * MiB, refuse), 0);
    await expect(device.write(Buffer.alloc(512), 0)).rejects.toMatchObject({
      code: 'ERR_ATA_ABORT',
      message: expect.stringMatching(/^e1\.1 refused the write \(ATA ABRT\): the export is read-only/),
    });
    const failing = deviceEndpoint(
      'e1.1',
      fakeDevice(64 * MiB, () => Promise.reject(new InitiatorError('ERR_ATA_UNC', 'e1.1: UNC'))),
      0,
    );
    await expect(failing.write(Buffer.alloc(512), 0)).rejects.toMatchObject({ code: 'ERR_ATA_UNC', message: 'e1.1: UNC' });
  });

  it('aoe nbd answers a WRITE refused with ATA ABRT with EPERM (read-only), a READ with EIO', () => {
    const abort = new InitiatorError('ERR_ATA_ABORT', 'e1.1: ABRT', 0x04);
    expect(nbdErrorFor(abort, true)).toBe(NbdError.EPERM);
    expect(nbdErrorFor(abort, false)).toBe(NbdError.EIO);
  });
});
