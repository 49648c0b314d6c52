// `aoe mask eX.Y`: read or edit the Mac Mask List of every target MAC (AoEr11 §3.3).
import { Command } from 'commander';
import { deviceMask, type MacOrSelf } from '../../initiator/index.js';
import { formatMac, parseMac } from '../../wire/mac.js';
import { UsageError } from '../common.js';
import { deviceArgument } from '../options.js';
import { printJson, resolveInterfaces, table, withInitiatorOptions, type InitiatorCliOptions } from './initiator-options.js';

/** Comma-separated MACs; 'self' stands for every local MAC of the chosen interfaces. */
export function parseMacList(text: string, option: string): MacOrSelf[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      if (item === 'self') return 'self';
      try {
        return parseMac(item);
      } catch {
        throw new UsageError(`${option}: '${item}' is not a MAC address (use 02:00:00:00:00:01 or self)`);
      }
    });
}

export function maskCommand(): Command {
  return withInitiatorOptions(new Command('mask'), { io: false })
    .description("read or edit a device's MAC mask list (only listed MACs get any answer); an edit applies all of its changes or none")
    .argument('<device>', 'e1.1 or aoe:e1.1')
    .option('--add <macs>', 'MACs to add (comma separated; "self" = every local MAC of the chosen interfaces)')
    .option('--delete <macs>', 'MACs to delete')
    .addHelpText(
      'after',
      `
Add yourself before anyone else: once the list is not empty, unlisted MACs get no answer at all.

Examples:
  aoe mask e1.1                                   # read
  aoe mask e1.1 --add self                        # every local MAC of the chosen NICs
  aoe mask e1.1 --add 02:00:00:00:00:01 --delete 02:00:00:00:00:02`,
    )
    .action(async (name: string, options: InitiatorCliOptions & { add?: string; delete?: string }) => {
      const edits = [
        ...(options.add ? [{ command: 'add' as const, macs: parseMacList(options.add, '--add') }] : []),
        ...(options.delete ? [{ command: 'delete' as const, macs: parseMacList(options.delete, '--delete') }] : []),
      ];
      if (edits.reduce((sum, edit) => sum + edit.macs.length, 0) > 255) throw new UsageError('at most 255 directives per request');
      const device = deviceArgument(name);
      const { interfaces, netns } = await resolveInterfaces(options);
      const rows = (await deviceMask(device, { interfaces, netns }, edits)).map((row) => ({
        device: row.device,
        interface: row.interface,
        targetMac: formatMac(row.targetMac),
        mask: row.mask.map(formatMac),
      }));
      if (options.json) {
        printJson(rows);
        return;
      }
      process.stdout.write(
        table([
          ['DEVICE', 'NETIF', 'TARGET MAC', 'MASK'],
          ...rows.map((row) => [row.device, row.interface, row.targetMac, row.mask.join(',') || '(empty: everyone)']),
        ]),
      );
    });
}
