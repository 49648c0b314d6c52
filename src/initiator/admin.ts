// Per-target administration (aoe cfg/mask/reserve/probe-mtu): find a device's target MACs and run a request on each.
import { discoverOnLinks, type DiscoveredDevice, type DiscoveredPath } from './discover.js';
import type { RequestTarget } from './requests.js';
import { InitiatorError } from './errors.js';
import { openLinks, type LinkSource } from './links.js';
import { parseDeviceName } from './open.js';
import { LinkPort } from './port.js';

export interface TargetHandle {
  path: DiscoveredPath;
  target: RequestTarget;
}

/**
 * Discover `name` (eX.Y), then call `action` with one handle per distinct target MAC (the first path reaching it),
 * or per path when `everyPath` is set. Closes what it opened.
 */
export async function withDeviceTargets<T>(
  name: string,
  source: LinkSource & { timeoutMs?: number; everyPath?: boolean },
  action: (device: DiscoveredDevice, handles: TargetHandle[], localMacs: number[]) => Promise<T>,
): Promise<T> {
  const { shelf, slot } = parseDeviceName(name);
  const opened = await openLinks(source);
  try {
    const [device] = await discoverOnLinks(opened.links, { timeoutMs: source.timeoutMs ?? 500, shelf, slot, skipIdentify: true });
    if (!device)
      throw new InitiatorError(
        'ERR_AOE_NOT_FOUND',
        `device e${shelf}.${slot} not found on ${opened.links.map((link) => link.name).join(', ')}`,
      );
    const seen = new Set<number>();
    const handles: TargetHandle[] = [];
    for (const path of device.paths) {
      if (!source.everyPath && seen.has(path.targetMac)) continue;
      seen.add(path.targetMac);
      handles.push({ path, target: { port: LinkPort.of(path.link), mac: path.targetMac, shelf, slot } });
    }
    return await action(device, handles, [...new Set(opened.links.map((link) => link.mac))]);
  } finally {
    if (!source.links || source.links.length === 0) for (const link of opened.links) LinkPort.of(link).detach();
    await opened.close();
  }
}
