// `aoe cfg eX.Y`: read the config string of every target MAC, or set / force it (Query Config CCmd 3 / 4).
import { Command } from 'commander';
import { deviceConfig } from '../../initiator/index.js';
import { formatMac } from '../../wire/mac.js';
import { UsageError } from '../common.js';
import { deviceArgument } from '../options.js';
import { printJson, resolveInterfaces, table, withInitiatorOptions, type InitiatorCliOptions } from './initiator-options.js';

export function cfgCommand(): Command {
  return withInitiatorOptions(new Command('cfg'), { io: false })
    .description("read or set a device's config string (per target MAC)")
    .argument('<device>', 'e1.1 or aoe:e1.1')
    .option('--set <string>', 'set the config string (only when it is empty: AoE error 4 otherwise)')
    .option('--force <string>', 'set the config string even when one is present')
    .addHelpText(
      'after',
      `
Examples:
  aoe cfg e1.1                          # read it from every target MAC
  aoe cfg e1.1 --set 'rack1 disk1'      # only when empty
  aoe cfg aoe:e1.1 --force 'rack2'`,
    )
    .action(async (name: string, options: InitiatorCliOptions & { set?: string; force?: string }) => {
      if (options.set !== undefined && options.force !== undefined) throw new UsageError('give either --set or --force, not both');
      const change =
        options.set !== undefined
          ? { value: options.set, force: false }
          : options.force !== undefined
            ? { value: options.force, force: true }
            : undefined;
      const device = deviceArgument(name);
      const { interfaces, netns } = await resolveInterfaces(options);
      const rows = (await deviceConfig(device, { interfaces, netns }, change)).map((info) => ({
        device: info.device,
        interface: info.interface,
        targetMac: formatMac(info.mac),
        bufferCount: info.bufferCount,
        sectorCount: info.sectorCount,
        firmwareVersion: info.firmwareVersion,
        configString: info.configString,
      }));
      if (options.json) {
        printJson(rows);
        return;
      }
      process.stdout.write(
        table([
          ['DEVICE', 'NETIF', 'TARGET MAC', 'BUFFERS', 'SECTORS', 'CONFIG'],
          ...rows.map((row) => [
            row.device,
            row.interface,
            row.targetMac,
            String(row.bufferCount),
            String(row.sectorCount),
            row.configString,
          ]),
        ]),
      );
    });
}
