// Discovery: broadcast Query Config on every link, group replies by shelf.slot, IDENTIFY each device.
import type { Link } from '../link/link.js';
import { BROADCAST_SHELF, BROADCAST_SLOT, Command, ConfigCommand, SECTOR_SIZE, sectorsForMtu } from '../wire/constants.js';
import { deviceName } from '../wire/address.js';
import { collect } from './requests.js';
import { parseConfigReply, writeConfigRequest, type ConfigInfo } from './commands.js';
import { identifyPaths, type IdentityGroup } from './identity.js';
import { openLinks, type LinkSource } from './links.js';
import { LinkPort } from './port.js';

/** One way to reach a device: a local link and a target MAC. */
export interface DiscoveredPath {
  /** Local interface name. */
  interface: string;
  localMac: number;
  targetMac: number;
  /** Local link MTU. */
  mtu: number;
  /** Sectors per frame on this path: min(sectorsForMtu(mtu), target's advertised sector count). */
  payloadSectors: number;
  payloadBytes: number;
  bufferCount: number;
  /** Max sectors per command the target advertised. */
  targetSectors: number;
  firmwareVersion: number;
  /** The config string this path's target answered with. */
  configString: string;
  /** The link the path was found on (for opening the device on the same links). */
  link: Link;
}

export interface DiscoveredDevice {
  /** 'e1.1' */
  name: string;
  shelf: number;
  slot: number;
  /** Bytes (0 when IDENTIFY failed). */
  size: number;
  sectors: number;
  model: string;
  serial: string;
  firmware: string;
  configString: string;
  lba48: boolean;
  paths: DiscoveredPath[];
  /** Set when IDENTIFY failed on every path (e.g. reserved by another host). */
  identifyError?: string;
  /** Paths whose target did not answer IDENTIFY: left out of `paths`, since what they lead to is unknown. */
  unverified?: DiscoveredPath[];
  /** Set when the paths lead to different disks (IDENTIFY or config string differ): one group per disk. I/O refuses. */
  conflict?: IdentityGroup[];
}

export interface DiscoverOptions extends LinkSource {
  /** How long to collect Query Config replies. Default 1000 ms. */
  timeoutMs?: number;
  /** Only keep this shelf.slot (still broadcast, cheap filter). */
  shelf?: number;
  slot?: number;
  /** Skip IDENTIFY (size/model unknown). */
  skipIdentify?: boolean;
}

/** Query Config on each link (already-open links), grouped by device, IDENTIFY'd. */
export async function discoverOnLinks(links: Link[], options: DiscoverOptions = {}): Promise<DiscoveredDevice[]> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const shelf = options.shelf ?? BROADCAST_SHELF;
  const slot = options.slot ?? BROADCAST_SLOT;
  const perLink = await Promise.all(
    links.map(async (link) => {
      const port = LinkPort.of(link);
      const replies = await collect(
        port,
        Command.QueryConfig,
        (frame) => writeConfigRequest(frame, ConfigCommand.Read),
        timeoutMs,
        undefined,
        shelf,
        slot,
      );
      return { link, configs: parseReplies(replies) };
    }),
  );
  const devices = new Map<string, DiscoveredDevice>();
  for (const { link, configs } of perLink) {
    for (const config of configs) {
      if (config.shelf === BROADCAST_SHELF || config.slot === BROADCAST_SLOT) continue; // AoEr11 §2: invalid reply
      if (options.shelf !== undefined && config.shelf !== options.shelf) continue;
      if (options.slot !== undefined && config.slot !== options.slot) continue;
      const name = deviceName(config.shelf, config.slot);
      let device = devices.get(name);
      if (!device) {
        device = {
          name,
          shelf: config.shelf,
          slot: config.slot,
          size: 0,
          sectors: 0,
          model: '',
          serial: '',
          firmware: '',
          configString: config.configString,
          lba48: true,
          paths: [],
        };
        devices.set(name, device);
      }
      const known = device.paths.find((path) => path.link === link && path.targetMac === config.mac);
      // Two answers from one MAC with different strings: two exports behind one name on one NIC; keep both to flag it.
      if (known && known.configString === config.configString) continue;
      device.paths.push(pathFromConfig(link, config));
    }
  }
  const list = [...devices.values()].sort((a, b) => a.shelf - b.shelf || a.slot - b.slot);
  if (!options.skipIdentify) await Promise.all(list.map((device) => identifyPaths(device)));
  return list;
}

/** Replies to a broadcast may come from anyone: one whose argument does not parse is left out, not fatal to discovery. */
function parseReplies(replies: Buffer[]): ConfigInfo[] {
  const configs: ConfigInfo[] = [];
  for (const reply of replies) {
    try {
      configs.push(parseConfigReply(reply));
    } catch {
      // ERR_AOE_SHORT_FRAME / ERR_AOE_BAD_REPLY: not a Query Config answer we can use.
    }
  }
  return configs;
}

function pathFromConfig(link: Link, config: ConfigInfo): DiscoveredPath {
  const payloadSectors = Math.max(1, Math.min(sectorsForMtu(link.mtu), config.sectorCount));
  return {
    interface: link.name,
    localMac: link.mac,
    targetMac: config.mac,
    mtu: link.mtu,
    payloadSectors,
    payloadBytes: payloadSectors * SECTOR_SIZE,
    bufferCount: config.bufferCount,
    targetSectors: config.sectorCount,
    firmwareVersion: config.firmwareVersion,
    configString: config.configString,
    link,
  };
}

/** Public discovery: opens the interfaces (or uses injected links), lists devices, closes what it opened. */
export async function discover(options: DiscoverOptions = {}): Promise<DiscoveredDevice[]> {
  const opened = await openLinks(options);
  try {
    return await discoverOnLinks(opened.links, options);
  } finally {
    if (!options.links || options.links.length === 0) for (const link of opened.links) LinkPort.of(link).detach();
    await opened.close();
  }
}

/** True when the paths of a device do not all carry the same payload (MTU mismatch, aoe-sancheck's warning). */
export function hasPayloadMismatch(device: DiscoveredDevice): boolean {
  return new Set(device.paths.map((path) => path.payloadBytes)).size > 1;
}
