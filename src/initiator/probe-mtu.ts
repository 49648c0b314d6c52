// Path MTU probing: padded READ requests of growing sector count find the largest payload each path really carries.
import { ATA_DATA_OFFSET, AtaCommand, AtaFlag, Command, ETHERNET_HEADER_LENGTH, SECTOR_SIZE, sectorsForMtu } from '../wire/constants.js';
import { writeAtaRequest } from '../wire/ata-arg.js';
import { checkAtaReply } from './commands.js';
import { request, type RequestTarget } from './requests.js';
import type { DiscoveredPath } from './discover.js';

export interface MtuProbeResult {
  interface: string;
  targetMac: number;
  localMtu: number;
  /** Sectors the local MTU and the target's advertisement allow. */
  expectedSectors: number;
  /** Largest sector count that made the round trip (request padded to the same size as the reply). */
  workingSectors: number;
  workingPayloadBytes: number;
  /** Smallest MTU that carries the working payload (ATA data offset - Ethernet header + sectors x 512). */
  impliedMtu: number;
  mismatch: boolean;
}

/** Does a READ of `sectors` sectors, padded to the same length as its reply, round-trip on this path? */
async function probeSectors(target: RequestTarget, sectors: number, timeoutMs: number): Promise<boolean> {
  try {
    const reply = await request(
      target,
      Command.Ata,
      (frame) => {
        writeAtaRequest(frame, 0, AtaFlag.Extended, sectors, AtaCommand.ReadSectorsExt, 0);
        // Pad the request to the reply's size so both directions carry a frame of this length.
        const padded = Math.min(frame.length, ATA_DATA_OFFSET + sectors * SECTOR_SIZE);
        frame.fill(0, ATA_DATA_OFFSET, padded);
        return padded;
      },
      { timeoutMs, retries: 1, what: `probe ${sectors} sectors` },
    );
    checkAtaReply(reply, 'probe');
    return reply.length >= ATA_DATA_OFFSET + sectors * SECTOR_SIZE;
  } catch {
    return false;
  }
}

/** Probe one path: up from 1 sector to what the local MTU allows (binary search after the first failure). */
export async function probePathMtu(path: DiscoveredPath, target: RequestTarget, timeoutMs = 200): Promise<MtuProbeResult> {
  const expectedSectors = Math.min(sectorsForMtu(path.mtu), path.targetSectors);
  let low = 0;
  let high = expectedSectors;
  if (await probeSectors(target, high, timeoutMs)) low = high;
  else {
    high -= 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (await probeSectors(target, middle, timeoutMs)) low = middle;
      else high = middle - 1;
    }
  }
  return {
    interface: path.interface,
    targetMac: path.targetMac,
    localMtu: path.mtu,
    expectedSectors,
    workingSectors: low,
    workingPayloadBytes: low * SECTOR_SIZE,
    impliedMtu: low > 0 ? ATA_DATA_OFFSET - ETHERNET_HEADER_LENGTH + low * SECTOR_SIZE : 0,
    mismatch: low !== expectedSectors,
  };
}
