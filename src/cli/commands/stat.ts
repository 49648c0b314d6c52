// `aoe stat`: one line per device in aoe-stat's shape (device, size, netifs, payload, state).
import { Command } from 'commander';
import { discover } from '../../initiator/index.js';
import { parseInteger } from '../common.js';
import { deviceToJson, warnAboutPaths } from './discover.js';
import {
  formatGigabytes,
  printJson,
  resolveInterfaces,
  table,
  withInitiatorOptions,
  type InitiatorCliOptions,
} from './initiator-options.js';

export function statCommand(): Command {
  return withInitiatorOptions(new Command('stat'), { io: false })
    .description('list AoE devices like aoe-stat: device size netifs payload state')
    .option('--timeout <ms>', 'how long to wait for answers', '1000')
    .addHelpText(
      'after',
      `
Examples:
  aoe stat                     # e1.1  1.074GB  eth1,eth2  8704  up
  aoe stat -i eth1 --json
For a target's own counters (frames, bytes, errors per export and NIC) see 'aoe stats'.`,
    )
    .action(async (options: InitiatorCliOptions & { timeout: string }) => {
      const timeoutMs = parseInteger(options.timeout, '--timeout', 1, 600_000);
      const { interfaces, netns } = await resolveInterfaces(options);
      const devices = await discover({ interfaces, netns, timeoutMs });
      warnAboutPaths(devices);
      const lines = devices.map((device) => ({
        device: device.name,
        size: device.size,
        netifs: [...new Set(device.paths.map((path) => path.interface))],
        payload: [...new Set(device.paths.map((path) => path.payloadBytes))],
        state: device.identifyError ? 'down' : device.conflict ? 'conflict' : 'up',
      }));
      if (options.json) {
        printJson(lines.map((line, index) => ({ ...line, detail: deviceToJson(devices[index]) })));
        return;
      }
      process.stdout.write(
        table(
          lines.map((line) => [line.device, formatGigabytes(line.size), line.netifs.join(','), line.payload.join(','), line.state]),
        ).replace(/^\n$/, ''),
      );
    });
}
