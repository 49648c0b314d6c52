// Administration of a whole device (every target MAC behind eX.Y): config string, Mac Mask List and reservation.
import { queryConfig, maskList, reserve, setConfig, type ConfigInfo, type MaskEdit } from './commands.js';
import { withDeviceTargets, type TargetHandle } from './admin.js';
import type { LinkSource } from './links.js';

/** A MAC, or 'self': every local MAC of the chosen interfaces. */
export type MacOrSelf = number | 'self';

/** One row per target MAC: which local interface reached it. */
export interface TargetRow {
  device: string;
  interface: string;
  targetMac: number;
}

/** 'self' becomes every local MAC (each once), so one command covers a host with several NICs. */
export function expandSelf(macs: readonly MacOrSelf[], localMacs: readonly number[]): number[] {
  const expanded: number[] = [];
  for (const mac of macs) for (const value of mac === 'self' ? localMacs : [mac]) if (!expanded.includes(value)) expanded.push(value);
  return expanded;
}

/** Several target NICs of one export share its state: go one target after the other so that edits never race. */
async function eachTarget<R>(handles: TargetHandle[], action: (handle: TargetHandle) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const handle of handles) results.push(await action(handle));
  return results;
}

function row(device: string, handle: TargetHandle): TargetRow {
  return { device, interface: handle.path.interface, targetMac: handle.path.targetMac };
}

/** Read the config string of every target, or set it (`force`: even when one is present). */
export function deviceConfig(
  name: string,
  source: LinkSource,
  change?: { value: string; force: boolean },
): Promise<(TargetRow & ConfigInfo)[]> {
  return withDeviceTargets(name, source, (device, handles) =>
    eachTarget(handles, async (handle) => {
      const info = change ? await setConfig(handle.target, change.value, change.force) : await queryConfig(handle.target);
      return { ...info, ...row(device.name, handle) };
    }),
  );
}

/** Read the Mac Mask List of every target, or edit it (each target applies all directives or none). */
export function deviceMask(
  name: string,
  source: LinkSource,
  edits: { command: MaskEdit['command']; macs: MacOrSelf[] }[] = [],
): Promise<(TargetRow & { mask: number[] })[]> {
  return withDeviceTargets(name, source, (device, handles, localMacs) => {
    const directives: MaskEdit[] = edits.flatMap((edit) => expandSelf(edit.macs, localMacs).map((mac) => ({ command: edit.command, mac })));
    return eachTarget(handles, async (handle) => ({ ...row(device.name, handle), mask: await maskList(handle.target, directives) }));
  });
}

/**
 * Read every target's reservation, or set one list on all of them in one Reserve command each (`self` = every
 * local MAC of the chosen interfaces, so a host with two NICs reserves both); an empty list releases.
 */
export function deviceReservation(
  name: string,
  source: LinkSource,
  change?: { macs: MacOrSelf[]; force: boolean },
): Promise<(TargetRow & { reservedFor: number[] })[]> {
  return withDeviceTargets(name, source, (device, handles, localMacs) => {
    const macs = change ? expandSelf(change.macs, localMacs) : undefined;
    return eachTarget(handles, async (handle) => ({
      ...row(device.name, handle),
      reservedFor: await reserve(handle.target, macs, change?.force ?? false),
    }));
  });
}
