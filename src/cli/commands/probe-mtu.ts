// `aoe probe-mtu eX.Y`: largest payload that really works on each path; reports mismatches like aoe-sancheck.
import { Command } from 'commander';
import { probePathMtu, withDeviceTargets } from '../../initiator/index.js';
import { formatMac } from '../../wire/mac.js';
import { deviceArgument } from '../options.js';
import { printJson, resolveInterfaces, table, withInitiatorOptions, type InitiatorCliOptions } from './initiator-options.js';

export function probeMtuCommand(): Command {
  return withInitiatorOptions(new Command('probe-mtu'), { io: true })
    .description('find the largest working payload per path (padded reads of growing size)')
    .argument('<device>', 'e1.1 or aoe:e1.1')
    .addHelpText(
      'after',
      `
Exits 1 when a path carries less than its local MTU allows (a switch or peer with a smaller MTU).

Examples:
  aoe probe-mtu e1.1
  aoe probe-mtu e1.1 -i eth1,eth2 --mtu 9000   # set both NICs to 9000 first, then check every path carries it`,
    )
    .action(async (name: string, options: InitiatorCliOptions) => {
      const device = deviceArgument(name);
      const { interfaces, netns } = await resolveInterfaces(options);
      const results = await withDeviceTargets(device, { interfaces, netns, everyPath: true }, async (_device, handles) => {
        const out = [];
        for (const handle of handles) out.push(await probePathMtu(handle.path, handle.target));
        return out;
      });
      const payloads = new Set(results.map((result) => result.workingPayloadBytes));
      for (const result of results) {
        if (result.mismatch)
          process.stderr.write(
            `warning: ${result.interface} -> ${formatMac(result.targetMac)}: local MTU ${result.localMtu} allows ${result.expectedSectors} sectors but only ${result.workingSectors} work (path MTU ~${result.impliedMtu})\n`,
          );
      }
      if (payloads.size > 1)
        process.stderr.write(`warning: paths carry different payloads (${[...payloads].join(', ')} bytes): MTU mismatch between paths\n`);
      if (options.json) {
        printJson(results.map((result) => ({ ...result, targetMac: formatMac(result.targetMac) })));
        return;
      }
      process.stdout.write(
        table([
          ['NETIF', 'TARGET MAC', 'LOCAL MTU', 'EXPECTED', 'WORKING', 'PAYLOAD', 'STATUS'],
          ...results.map((result) => [
            result.interface,
            formatMac(result.targetMac),
            String(result.localMtu),
            String(result.expectedSectors),
            String(result.workingSectors),
            String(result.workingPayloadBytes),
            result.mismatch ? 'MISMATCH' : 'ok',
          ]),
        ]),
      );
      if (results.some((result) => result.mismatch || result.workingSectors === 0)) process.exitCode = 1;
    });
}
