#!/usr/bin/env node
// The `aoeblade` bin: vblade's command line (plus extras) turned into a ServeConfig for the target library.
import { Command, Option } from 'commander';
import { createLogger } from '../log.js';
import { parseRamSpec } from '../store/open-store.js';
import { identifyTextProblem, type ServeConfig } from '../blade/serve-config.js';
import { SHELF_MAX, SLOT_MAX } from '../wire/address.js';
import { parseMac } from '../wire/mac.js';
import { configureProgram, isEntryPoint, parseInteger, runMain, UsageError, withVersion } from './common.js';
import { serveUntilSignal } from './commands/serve.js';
import { logLevelOption, metricsListenOption, parseMetricsListen } from './options.js';

interface AoebladeOptions {
  buffers: string;
  offset?: string;
  length?: string;
  direct?: boolean;
  sync?: boolean;
  readOnly?: boolean;
  mask?: string;
  mtu?: string;
  configString?: string;
  stateDir?: string;
  announce: boolean;
  physicalSector: string;
  serial?: string;
  model?: string;
  statsInterval: string;
  controlSocket?: string;
  metricsListen?: string;
  workers?: string;
  logLevel: string;
  pretty?: boolean;
  netns?: string;
}

/** The `aoeblade` program definition (options, arguments, help), without parsing argv: also what man/aoeblade.8 is made from. */
export function buildProgram(): Command {
  return withVersion(configureProgram(new Command('aoeblade')))
    .description('vblade-compatible ATA over Ethernet target: export a file, block device or RAM disk as shelf.slot on one or more NICs')
    .usage('[options] shelf slot netif[,netif...] filename')
    .argument('<shelf>', `AoE shelf (major) number, 0..${SHELF_MAX}`)
    .argument('<slot>', `AoE slot (minor) number, 0..${SLOT_MAX}`)
    .argument('<netif>', 'network interface(s) to serve on, comma separated (e.g. eth1,eth2)')
    .argument(
      '<filename>',
      'file or block device to export, ram:SIZE for a RAM disk (e.g. ram:1G), or an NBD export (nbd://host[:port]/name, nbd+unix:///name?socket=PATH)',
    )
    .option('-b, --buffers <count>', 'buffer count advertised to initiators (vblade -b)', '16')
    .option('-o, --offset <sectors>', 'export window start, in 512-byte sectors (vblade -o)')
    .option('-l, --length <sectors>', 'export window length, in 512-byte sectors (vblade -l; default: to the end)')
    .option('-d, --direct', 'open the file with O_DIRECT (bypass the page cache; not on tmpfs)')
    .option('-s, --sync', 'open the file with O_SYNC (every write durable before it is acknowledged)')
    .option('-r, --read-only', 'refuse writes (ATA ABRT)')
    .option('-m, --mask <macs>', 'Mac Mask List: only these initiator MACs get any answer (comma separated, max 64)')
    .option('--mtu <bytes>', 'set each NIC to this MTU before serving (needs CAP_NET_ADMIN); 9000 = jumbo frames, 17 sectors per frame')
    .option('--config-string <text>', 'initial AoE config string (max 1024 bytes); overrides the one in --state-dir')
    .option('--state-dir <dir>', 'persist config string, mask list and reservations here across restarts')
    .option('--no-announce', 'do not broadcast a Query Config response at start-up (vblade always does)')
    .addOption(
      new Option('--physical-sector <bytes>', 'physical sector size advertised in IDENTIFY (512e when 4096)')
        .choices(['512', '4096'])
        .default('512'),
    )
    .option('--serial <text>', 'IDENTIFY serial number (20 chars max)')
    .option('--model <text>', 'IDENTIFY model string (40 chars max)')
    .option('--stats-interval <seconds>', 'log a stats line every N seconds (0 = off); SIGUSR1 logs one on demand', '0')
    .option('--control-socket <path>', 'unix socket answering {"cmd":"stats"} lines with JSON stats (read it with \'aoe stats\')')
    .addOption(metricsListenOption())
    .addOption(logLevelOption())
    .option('--pretty', 'human-readable logs instead of JSON')
    .option('--netns <name>', 'open the NICs inside this network namespace (/run/netns/NAME)')
    .option(
      '--workers <count>',
      'threads serving the NICs, each its share of them (1 = one thread; 0 = one per NIC up to the CPU count)',
      '1',
    )
    .addHelpText(
      'after',
      `
Signals: SIGTERM, SIGINT and SIGHUP stop it cleanly (requests in flight finish, state is saved, the store is
flushed, exit 0); SIGUSR1 logs one stats line. A start that fails prints one line, exits non-zero and leaves
nothing behind (no control socket, no metrics port, no state directory it made, NIC MTUs put back).
Config string, mask list and reservation changes, and denied requests, are logged as audit lines
("audit" key), at most one per kind and export per second (with a "suppressed" count).

Examples:
  aoeblade 1 1 eth1 /dev/sdb                       # like vblade
  aoeblade --mtu 9000 -s 1 1 eth1,eth2 /srv/disk.img  # two NICs, jumbo frames, O_SYNC
  aoeblade --control-socket /run/aoeblade.sock 0 1 eth1 ram:1G
  aoe stats --socket /run/aoeblade.sock --watch 2      # per-export and per-NIC table with rates
  aoeblade --metrics-listen 0.0.0.0:9100 1 1 eth1 /srv/disk.img   # Prometheus: http://HOST:9100/metrics`,
    );
}

function toServeConfig(shelf: string, slot: string, netifs: string, filename: string, options: AoebladeOptions): ServeConfig {
  const interfaces = netifs
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (interfaces.length === 0) throw new UsageError(`netif must name at least one interface, got '${netifs}'`);
  if (new Set(interfaces).size !== interfaces.length) throw new UsageError(`netif lists an interface twice: '${netifs}'`);
  if (filename.startsWith('ram:')) {
    try {
      parseRamSpec(filename);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  let macMask: number[] | undefined;
  if (options.mask !== undefined) {
    macMask = options.mask
      .split(',')
      .filter(Boolean)
      .map((text) => {
        try {
          return parseMac(text.trim());
        } catch {
          throw new UsageError(`-m: '${text}' is not a MAC address (use 00:11:22:33:44:55)`);
        }
      });
    if (macMask.length > 64) throw new UsageError(`-m: at most 64 MACs, got ${macMask.length}`);
  }
  for (const [flag, text, max] of [
    ['--serial', options.serial, 20],
    ['--model', options.model, 40],
  ] as const) {
    const problem = text === undefined ? undefined : identifyTextProblem(text, max);
    if (problem) throw new UsageError(`${flag} ${problem}`);
  }
  if (options.configString !== undefined && Buffer.byteLength(options.configString) > 1024) {
    throw new UsageError('--config-string must be at most 1024 bytes');
  }
  return {
    exports: [
      {
        shelf: parseInteger(shelf, 'shelf', 0, SHELF_MAX),
        slot: parseInteger(slot, 'slot', 0, SLOT_MAX),
        path: filename,
        interfaces,
        readOnly: options.readOnly,
        sync: options.sync,
        direct: options.direct,
        offset: options.offset === undefined ? undefined : parseInteger(options.offset, '-o offset'),
        length: options.length === undefined ? undefined : parseInteger(options.length, '-l length', 1),
        macMask,
        configString: options.configString,
        bufferCount: parseInteger(options.buffers, '-b bufcnt', 1, 0xffff),
        serial: options.serial,
        model: options.model,
        physicalSectorSize: options.physicalSector === '4096' ? 4096 : 512,
      },
    ],
    stateDir: options.stateDir,
    statsInterval: parseInteger(options.statsInterval, '--stats-interval', 0, 86400),
    controlSocket: options.controlSocket,
    metricsListen: options.metricsListen === undefined ? undefined : parseMetricsListen(options.metricsListen),
    announce: options.announce,
    mtu: options.mtu === undefined ? undefined : parseInteger(options.mtu, '--mtu', 68, 65535),
    netns: options.netns,
    workers: options.workers === undefined ? undefined : parseInteger(options.workers, '--workers', 0, 256),
  };
}

export async function main(): Promise<void> {
  const program = buildProgram();
  program.action(async (shelf: string, slot: string, netifs: string, filename: string, options: AoebladeOptions) => {
    const config = toServeConfig(shelf, slot, netifs, filename, options);
    const logger = createLogger({ name: 'aoeblade', level: options.logLevel, pretty: options.pretty });
    await serveUntilSignal(config, logger);
  });
  await program.parseAsync(process.argv);
}

if (isEntryPoint(import.meta.url)) runMain('aoeblade', main);
