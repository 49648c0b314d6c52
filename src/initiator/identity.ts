// One identity per device: IDENTIFY each target MAC, group a device's paths by what answers on them, and name a conflict.
import { formatMac } from '../wire/mac.js';
import { identify } from './commands.js';
import type { DiscoveredDevice, DiscoveredPath } from './discover.js';
import { InitiatorError } from './errors.js';
import { LinkPort } from './port.js';

/** What a path leads to: the IDENTIFY facts that tell two disks apart, and the config string. */
export interface PathIdentity {
  sectors: number;
  serial: string;
  model: string;
  firmware: string;
  lba48: boolean;
  configString: string;
}

/** Paths that lead to the same disk. */
export interface IdentityGroup {
  identity: PathIdentity;
  paths: DiscoveredPath[];
}

function sameDisk(a: PathIdentity, b: PathIdentity): boolean {
  return a.sectors === b.sectors && a.serial === b.serial && a.model === b.model && a.configString === b.configString;
}

/**
 * IDENTIFY every target MAC of `device` once (all at once), then keep the device only if every path leads to the
 * same disk. Paths whose target did not answer IDENTIFY are left out (listed in `unverified`); if none answered,
 * `identifyError` says why. Paths that disagree (sector count, serial, model or config string) set `conflict`.
 */
export async function identifyPaths(device: DiscoveredDevice): Promise<void> {
  const byMac = new Map<number, DiscoveredPath[]>();
  for (const path of device.paths) byMac.set(path.targetMac, [...(byMac.get(path.targetMac) ?? []), path]);
  const groups: IdentityGroup[] = [];
  const unverified: DiscoveredPath[] = [];
  let lastError: unknown;
  await Promise.all(
    [...byMac.values()].map(async (paths) => {
      let identity: Omit<PathIdentity, 'configString'> | undefined;
      for (const path of paths) {
        try {
          const info = await identify(
            { port: LinkPort.of(path.link), mac: path.targetMac, shelf: device.shelf, slot: device.slot },
            { timeoutMs: 200, retries: 2 },
          );
          identity = {
            sectors: info.lba48 ? info.sectors : info.lba28Sectors,
            serial: info.serial,
            model: info.model,
            firmware: info.firmware,
            lba48: info.lba48,
          };
          break;
        } catch (error) {
          lastError = error;
        }
      }
      for (const path of paths) {
        if (identity === undefined) {
          unverified.push(path);
          continue;
        }
        const full = { ...identity, configString: path.configString };
        const group = groups.find((candidate) => sameDisk(candidate.identity, full));
        if (group) group.paths.push(path);
        else groups.push({ identity: full, paths: [path] });
      }
    }),
  );
  if (groups.length === 0) {
    device.identifyError = lastError instanceof Error ? lastError.message : String(lastError);
    return;
  }
  // Keep discovery order inside each group, and the group holding the first path first.
  const order = (path: DiscoveredPath) => device.paths.indexOf(path);
  for (const group of groups) group.paths.sort((a, b) => order(a) - order(b));
  groups.sort((a, b) => order(a.paths[0]) - order(b.paths[0]));
  const { identity } = groups[0];
  Object.assign(device, {
    sectors: identity.sectors,
    size: identity.sectors * 512,
    serial: identity.serial,
    model: identity.model,
    firmware: identity.firmware,
    lba48: identity.lba48,
    configString: identity.configString,
  });
  if (unverified.length > 0) device.unverified = unverified;
  if (groups.length > 1) device.conflict = groups;
  device.paths = groups.flatMap((group) => group.paths);
}

/** "i0 -> 02:00:00:00:00:01" */
function describePath(path: DiscoveredPath): string {
  return `${path.interface} -> ${formatMac(path.targetMac)}`;
}

/** One line per side of a conflict: its paths and what they lead to. */
export function describeConflict(groups: IdentityGroup[]): string[] {
  return groups.map(
    ({ identity, paths }) =>
      `[${paths.map(describePath).join(', ')}]: ${identity.sectors * 512} bytes, serial '${identity.serial}', model '${identity.model}', config '${identity.configString}'`,
  );
}

/** The error I/O gets on a device whose paths lead to different disks. */
export function conflictError(device: DiscoveredDevice): InitiatorError {
  const sides = describeConflict(device.conflict ?? []);
  return new InitiatorError(
    'ERR_AOE_CONFLICT',
    `${device.name}: its paths lead to different disks, refusing I/O: ${sides.join(' vs ')}; narrow -i to one side or give the targets distinct shelf.slot numbers`,
  );
}
