// Shared options of the initiator commands (-i, --netns, --mtu on I/O commands, --json) and their resolution to a LinkSource.
import { type Command, Option } from 'commander';
import { defaultInterfaces, loadLinkModule } from '../../initiator/links.js';
import { InitiatorError } from '../../initiator/errors.js';
import { parseInteger, UsageError } from '../common.js';

export interface InitiatorCliOptions {
  interfaces?: string;
  netns?: string;
  mtu?: string;
  json?: boolean;
}

/** The commands that move data over the NICs: only they take --mtu. */
const MTU_COMMANDS = 'copy, bench, nbd and probe-mtu';

/**
 * Add -i, --netns and --json to a command, and --mtu when it does I/O (`io`): changing a host NIC's MTU is a side
 * effect only a command that moves data has a reason for. Elsewhere --mtu is refused with a line saying so.
 */
export function withInitiatorOptions(command: Command, { io }: { io: boolean }): Command {
  command
    .option('-i, --interfaces <netif[,netif]>', 'network interfaces to use (default: every up non-loopback NIC)')
    .option('--netns <name>', 'run inside this named network namespace (/run/netns/NAME)');
  if (io) command.option('--mtu <bytes>', "set the chosen NICs' MTU first (a host-wide change, reported on stderr)");
  else {
    command.addOption(
      new Option('--mtu <bytes>').hideHelp().argParser(() => {
        throw new UsageError(
          `${command.name()} does not change NIC MTUs: --mtu is taken by ${MTU_COMMANDS} only (or: ip link set dev NIC mtu N)`,
        );
      }),
    );
  }
  return command.option('--json', 'machine-readable output on stdout');
}

/** Set each NIC's MTU to `mtu` where it differs, saying on stderr what changed (it outlives the command). */
async function applyMtu(interfaces: string[], mtu: number, netns: string | undefined): Promise<void> {
  const module = await loadLinkModule();
  for (const name of interfaces) {
    const before = module.interfaceInfo(name, netns).mtu;
    if (before === mtu) continue;
    module.setMtu(name, mtu, netns);
    process.stderr.write(`note: set the MTU of ${name}${netns ? ` (in ${netns})` : ''} from ${before} to ${mtu}\n`);
  }
}

/** Interfaces to open (explicit list or every up NIC), after applying --mtu. One clear error when none. */
export async function resolveInterfaces(options: InitiatorCliOptions): Promise<{ interfaces: string[]; netns: string | undefined }> {
  const netns = options.netns;
  let interfaces = options.interfaces
    ? options.interfaces
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean)
    : [];
  if (interfaces.length === 0) interfaces = await defaultInterfaces(netns);
  if (interfaces.length === 0)
    throw new InitiatorError(
      'ERR_AOE_NO_INTERFACE',
      `no network interface to use${netns ? ` in ${netns}` : ''} (none is up; give -i NETIF)`,
    );
  if (options.mtu !== undefined) await applyMtu(interfaces, parseInteger(options.mtu, '--mtu', 68, 65535), netns);
  return { interfaces, netns };
}

/** '1.074GB' like aoe-stat (decimal GB). */
export function formatGigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(3)}GB`;
}

export function formatMegabytesPerSecond(bytes: number, seconds: number): string {
  return `${(seconds > 0 ? bytes / 1e6 / seconds : 0).toFixed(1)} MB/s`;
}

/** Left-aligned text table. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  return `${rows.map((row) => row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index]))).join('  ')).join('\n')}\n`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
