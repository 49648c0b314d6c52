// `aoe discover` / `aoe-discover`: list AoE devices and their paths; warn about payload (MTU) mismatches.
import { Command } from 'commander';
import { discover, hasPayloadMismatch, type DiscoveredDevice } from '../../initiator/index.js';
import { formatMac } from '../../wire/mac.js';
import { parseInteger } from '../common.js';
import { formatGigabytes, printJson, resolveInterfaces, table, withInitiatorOptions, type InitiatorCliOptions } from './initiator-options.js';

/** JSON-friendly view of a discovered device (MACs as text, no link objects). */
export function deviceToJson(device: DiscoveredDevice) {
  return {
    name: device.name, shelf: device.shelf, slot: device.slot, size: device.size, sectors: device.sectors,
    model: device.model, serial: device.serial, firmware: device.firmware, configString: device.configString,
    payloadMismatch: hasPayloadMismatch(device), identifyError: device.identifyError,
    paths: device.paths.map((path) => ({
      interface: path.interface, localMac: formatMac(path.localMac), targetMac: formatMac(path.targetMac), mtu: path.mtu,
      payloadBytes: path.payloadBytes, payloadSectors: path.payloadSectors, bufferCount: path.bufferCount, targetSectors: path.targetSectors,
    })),
  };
}

export function discoverCommand(name = 'discover'): Command {
  return withInitiatorOptions(new Command(name))
    .description('broadcast Query Config and list AoE devices with their paths')
    .option('--timeout <ms>', 'how long to wait for answers', '1000')
    .action(async (options: InitiatorCliOptions & { timeout: string }) => {
      const timeoutMs = parseInteger(options.timeout, '--timeout', 1, 600_000);
      const { interfaces, netns } = await resolveInterfaces(options);
      const devices = await discover({ interfaces, netns, timeoutMs });
      for (const device of devices) {
        if (hasPayloadMismatch(device)) {
          const payloads = device.paths.map((path) => `${path.interface}:${path.payloadBytes}`).join(', ');
          process.stderr.write(`warning: ${device.name}: paths carry different payloads per frame (${payloads}): MTU mismatch\n`);
        }
      }
      if (options.json) {
        printJson(devices.map(deviceToJson));
        return;
      }
      if (devices.length === 0) {
        process.stdout.write(`no AoE devices found on ${interfaces.join(', ')}\n`);
        return;
      }
      const rows = [['DEVICE', 'SIZE', 'MODEL', 'CONFIG', 'NETIF', 'TARGET MAC', 'MTU', 'PAYLOAD', 'BUFFERS']];
      for (const device of devices) {
        device.paths.forEach((path, index) => rows.push([
          index === 0 ? device.name : '', index === 0 ? formatGigabytes(device.size) : '', index === 0 ? device.model : '',
          index === 0 ? device.configString : '', path.interface, formatMac(path.targetMac), String(path.mtu), String(path.payloadBytes), String(path.bufferCount),
        ]));
      }
      process.stdout.write(table(rows));
    });
}
