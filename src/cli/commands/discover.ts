// `aoe discover` / `aoe-discover`: list AoE devices and their paths; warn about payload (MTU) mismatches.
import { Command } from 'commander';
import { describeConflict, discover, hasPayloadMismatch, type DiscoveredDevice, type DiscoveredPath } from '../../initiator/index.js';
import { formatMac } from '../../wire/mac.js';
import { parseInteger } from '../common.js';
import {
  formatGigabytes,
  printJson,
  resolveInterfaces,
  table,
  withInitiatorOptions,
  type InitiatorCliOptions,
} from './initiator-options.js';

/** JSON-friendly view of a discovered device (MACs as text, no link objects). */
export function deviceToJson(device: DiscoveredDevice) {
  return {
    name: device.name,
    shelf: device.shelf,
    slot: device.slot,
    size: device.size,
    sectors: device.sectors,
    model: device.model,
    serial: device.serial,
    firmware: device.firmware,
    configString: device.configString,
    payloadMismatch: hasPayloadMismatch(device),
    identifyError: device.identifyError,
    paths: device.paths.map(pathToJson),
    unverifiedPaths: (device.unverified ?? []).map(pathToJson),
    conflict: device.conflict?.map((group) => ({
      ...group.identity,
      size: group.identity.sectors * 512,
      paths: group.paths.map(pathToJson),
    })),
  };
}

function pathToJson(path: DiscoveredPath) {
  return {
    interface: path.interface,
    localMac: formatMac(path.localMac),
    targetMac: formatMac(path.targetMac),
    mtu: path.mtu,
    payloadBytes: path.payloadBytes,
    payloadSectors: path.payloadSectors,
    bufferCount: path.bufferCount,
    targetSectors: path.targetSectors,
    configString: path.configString,
  };
}

/** Warnings a user must see: different disks behind one name, paths that did not answer IDENTIFY, MTU mismatches. */
export function warnAboutPaths(devices: DiscoveredDevice[]): void {
  for (const device of devices) {
    if (device.conflict) {
      process.stderr.write(
        `warning: ${device.name}: its paths lead to different disks; I/O will refuse until -i picks one side or the targets are fixed:\n`,
      );
      for (const line of describeConflict(device.conflict)) process.stderr.write(`  ${line}\n`);
    }
    if (device.unverified) {
      const paths = device.unverified.map((path) => `${path.interface} -> ${formatMac(path.targetMac)}`).join(', ');
      process.stderr.write(`warning: ${device.name}: left out paths whose target did not answer IDENTIFY: ${paths}\n`);
    }
    if (hasPayloadMismatch(device)) {
      const payloads = device.paths.map((path) => `${path.interface}:${path.payloadBytes}`).join(', ');
      process.stderr.write(`warning: ${device.name}: paths carry different payloads per frame (${payloads}): MTU mismatch\n`);
    }
  }
}

export function discoverCommand(name = 'discover'): Command {
  const invoked = name === 'discover' ? 'aoe discover' : name;
  return withInitiatorOptions(new Command(name), { io: false })
    .description('broadcast Query Config and list AoE devices with their paths')
    .option('--timeout <ms>', 'how long to wait for answers', '1000')
    .addHelpText(
      'after',
      `
Devices are shown as eSHELF.SLOT (e1.1); commands that take a device accept e1.1 and aoe:e1.1.

Examples:
  ${invoked}                          # every up NIC that is not loopback
  ${invoked} -i eth1,eth2 --json      # two NICs, machine-readable
  ${invoked} --netns lab-ini --timeout 3000`,
    )
    .action(async (options: InitiatorCliOptions & { timeout: string }) => {
      const timeoutMs = parseInteger(options.timeout, '--timeout', 1, 600_000);
      const { interfaces, netns } = await resolveInterfaces(options);
      const devices = await discover({ interfaces, netns, timeoutMs });
      warnAboutPaths(devices);
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
        device.paths.forEach((path, index) =>
          rows.push([
            index === 0 ? device.name : '',
            index === 0 ? formatGigabytes(device.size) : '',
            index === 0 ? device.model : '',
            index === 0 ? device.configString : '',
            path.interface,
            formatMac(path.targetMac),
            String(path.mtu),
            String(path.payloadBytes),
            String(path.bufferCount),
          ]),
        );
      }
      process.stdout.write(table(rows));
    });
}
