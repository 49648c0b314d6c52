// `aoe mask eX.Y`: read or edit the Mac Mask List of every target MAC (AoEr11 §3.3).
import { Command } from 'commander';
import { maskList, withDeviceTargets, type MaskEdit } from '../../initiator/index.js';
import { formatMac, parseMac } from '../../wire/mac.js';
import { UsageError } from '../common.js';
import { printJson, resolveInterfaces, table, withInitiatorOptions, type InitiatorCliOptions } from './initiator-options.js';

/** 'self' (the local MAC of each path), or comma-separated MACs. */
export function parseMacList(text: string, self: number): number[] {
  return text.split(',').map((item) => item.trim()).filter(Boolean).map((item) => {
    if (item === 'self') return self;
    try { return parseMac(item); } catch { throw new UsageError(`bad MAC address '${item}'`); }
  });
}

export function maskCommand(): Command {
  return withInitiatorOptions(new Command('mask'))
    .description('read or edit a device\'s MAC mask list (ATA only from listed MACs)')
    .argument('<device>', 'eX.Y')
    .option('--add <macs>', 'MACs to add (comma separated; "self" = this host\'s NIC on each path)')
    .option('--delete <macs>', 'MACs to delete')
    .action(async (name: string, options: InitiatorCliOptions & { add?: string; delete?: string }) => {
      const { interfaces, netns } = await resolveInterfaces(options);
      const rows = await withDeviceTargets(name.replace(/^aoe:/, ''), { interfaces, netns }, async (device, handles) => sequentially(handles, async ({ path, target }) => {
        const edits: MaskEdit[] = [
          ...(options.add ? parseMacList(options.add, path.localMac).map((mac) => ({ command: 'add' as const, mac })) : []),
          ...(options.delete ? parseMacList(options.delete, path.localMac).map((mac) => ({ command: 'delete' as const, mac })) : []),
        ];
        if (edits.length > 255) throw new UsageError('at most 255 directives per request');
        const macs = await maskList(target, edits);
        return { device: device.name, interface: path.interface, targetMac: formatMac(path.targetMac), mask: macs.map(formatMac) };
      }));
      if (options.json) { printJson(rows); return; }
      process.stdout.write(table([['DEVICE', 'NETIF', 'TARGET MAC', 'MASK'], ...rows.map((row) => [row.device, row.interface, row.targetMac, row.mask.join(',') || '(empty: everyone)'])]));
    });
}

/** One target after the other: several target NICs of one export share its state, so edits must not race. */
export async function sequentially<T, R>(items: T[], action: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const item of items) results.push(await action(item));
  return results;
}
