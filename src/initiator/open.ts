// openDevice('e1.1', ...): discover the device's paths, build Path objects and the frame table, return a Device.
import { ATA_DATA_OFFSET, SECTOR_SIZE } from '../wire/constants.js';
import { Device } from './device.js';
import { discoverOnLinks } from './discover.js';
import { conflictError } from './identity.js';
import { InitiatorError } from './errors.js';
import { openLinks, type LinkSource } from './links.js';
import { Path } from './path.js';
import { DEFAULT_TUNING, type PathTuning, type TargetBudget } from './path-options.js';
import { createPolicy, type PolicyName } from './policy.js';
import { LinkPort } from './port.js';
import { FrameTable } from './frame-table.js';

export interface OpenDeviceOptions extends LinkSource {
  /** Multipath policy. Default 'least-queue' (see README for the measurements behind it). */
  policy?: PolicyName;
  /** Fail I/O with ERR_AOE_DEADLINE after this long with no path answering. Default 60000. */
  deadlineMs?: number;
  /** How long discovery collects Query Config replies. Default 500 ms. */
  discoverTimeoutMs?: number;
  /** Retransmit scan period (reorder timer, tail loss probe, RTO). Default 2 ms. */
  scanIntervalMs?: number;
  /** Probe period for down paths. Default 250 ms. */
  probeIntervalMs?: number;
  tuning?: Partial<PathTuning>;
}

/** Parse 'e1.1' (or 'aoe:e1.1') into shelf and slot. */
export function parseDeviceName(name: string): { shelf: number; slot: number } {
  const match = /^(?:aoe:)?e(\d+)\.(\d+)$/.exec(name.trim());
  const shelf = match ? Number(match[1]) : NaN;
  const slot = match ? Number(match[2]) : NaN;
  if (!match || shelf >= 0xffff || slot >= 0xff) {
    throw new InitiatorError(
      'ERR_AOE_BAD_DEVICE',
      `bad device name '${name}' (expected eSHELF.SLOT, e.g. e1.1, shelf < 65535, slot < 255)`,
    );
  }
  return { shelf, slot };
}

export async function openDevice(name: string, options: OpenDeviceOptions = {}): Promise<Device> {
  const { shelf, slot } = parseDeviceName(name);
  const policy = createPolicy(options.policy ?? 'least-queue');
  const opened = await openLinks(options);
  const owned = !options.links || options.links.length === 0;
  const release = async () => {
    if (owned) for (const link of opened.links) LinkPort.of(link).detach();
    await opened.close();
  };
  try {
    const found = await discoverOnLinks(opened.links, { timeoutMs: options.discoverTimeoutMs ?? 500, shelf, slot });
    const device = found[0];
    if (!device || device.paths.length === 0) {
      throw new InitiatorError(
        'ERR_AOE_NOT_FOUND',
        `device e${shelf}.${slot} not found on ${opened.links.map((link) => link.name).join(', ')}`,
      );
    }
    if (device.identifyError) throw new InitiatorError('ERR_AOE_IDENTIFY', `e${shelf}.${slot}: IDENTIFY failed: ${device.identifyError}`);
    if (device.conflict) throw conflictError(device);
    const tuning: PathTuning = { ...DEFAULT_TUNING, ...options.tuning };
    const maxSectors = Math.max(...device.paths.map((path) => path.payloadSectors));
    // Frames fit the largest path payload; windows never exceed their cap, so entries >= sum of caps.
    const frameSize = ATA_DATA_OFFSET + maxSectors * SECTOR_SIZE;
    const capacitySectors = maxSectors;
    const budgets = new Map<number, TargetBudget>();
    const paths = device.paths.map((found, index) => {
      let budget = budgets.get(found.targetMac);
      if (!budget)
        budgets.set(found.targetMac, (budget = { inflight: 0, cap: Math.max(1, Math.min(found.bufferCount || 16, tuning.maxWindow)) }));
      return new Path({
        index,
        link: found.link,
        port: LinkPort.of(found.link),
        targetMac: found.targetMac,
        shelf,
        slot,
        bufferCount: found.bufferCount,
        targetSectors: found.targetSectors,
        tuning,
        frameCapacitySectors: capacitySectors,
        budget,
      });
    });
    const frameCount = paths.reduce((sum, path) => sum + path.windowCap, 0) + 8;
    return new Device({
      shelf,
      slot,
      size: device.size,
      lba48: device.lba48,
      identify: { model: device.model, serial: device.serial, firmware: device.firmware, sectors: device.sectors },
      paths,
      policy,
      frames: new FrameTable(frameCount, frameSize),
      timers: {
        deadlineMs: options.deadlineMs ?? 60_000,
        scanIntervalMs: options.scanIntervalMs ?? 2,
        probeIntervalMs: options.probeIntervalMs ?? 250,
      },
      onClose: release,
    });
  } catch (error) {
    await release();
    throw error;
  }
}
