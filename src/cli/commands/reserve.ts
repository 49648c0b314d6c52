// `aoe reserve eX.Y`: read, set, force or release a device's reservation on every target MAC (AoEr11 §3.4).
import { Command } from 'commander';
import { deviceReservation } from '../../initiator/index.js';
import { formatMac } from '../../wire/mac.js';
import { UsageError } from '../common.js';
import { deviceArgument } from '../options.js';
import { printJson, resolveInterfaces, table, withInitiatorOptions, type InitiatorCliOptions } from './initiator-options.js';
import { parseMacList } from './mask.js';

export function reserveCommand(): Command {
  return withInitiatorOptions(new Command('reserve'), { io: false })
    .description("read or change a device's reservation list")
    .argument('<device>', 'e1.1 or aoe:e1.1')
    .option('--set <macs>', 'reserve for these MACs (comma separated; "self" = every local MAC of the chosen interfaces)')
    .option('--release', 'release the reservation (set an empty list)')
    .option('--force', 'force set even when reserved by someone else')
    .addHelpText(
      'after',
      `
Examples:
  aoe reserve e1.1                      # who holds it
  aoe reserve e1.1 --set self           # every local MAC of the chosen NICs, one Reserve per target
  aoe reserve e1.1 --release
  aoe reserve e1.1 --set self --force   # take it from another host`,
    )
    .action(async (name: string, options: InitiatorCliOptions & { set?: string; release?: boolean; force?: boolean }) => {
      if (options.set !== undefined && options.release) throw new UsageError('give either --set or --release, not both');
      const change = options.release
        ? { macs: [], force: Boolean(options.force) }
        : options.set !== undefined
          ? { macs: parseMacList(options.set, '--set'), force: Boolean(options.force) }
          : undefined;
      const device = deviceArgument(name);
      const { interfaces, netns } = await resolveInterfaces(options);
      const rows = (await deviceReservation(device, { interfaces, netns }, change)).map((row) => ({
        device: row.device,
        interface: row.interface,
        targetMac: formatMac(row.targetMac),
        reservedFor: row.reservedFor.map(formatMac),
      }));
      if (options.json) {
        printJson(rows);
        return;
      }
      process.stdout.write(
        table([
          ['DEVICE', 'NETIF', 'TARGET MAC', 'RESERVED FOR'],
          ...rows.map((row) => [row.device, row.interface, row.targetMac, row.reservedFor.join(',') || '(not reserved)']),
        ]),
      );
    });
}
