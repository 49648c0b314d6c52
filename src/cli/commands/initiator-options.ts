// Shared options of the initiator commands (-i, --netns, --mtu, --json) and their resolution to a LinkSource.
import type { Command } from 'commander';
import { defaultInterfaces, loadLinkModule } from '../../initiator/links.js';
import { InitiatorError } from '../../initiator/errors.js';
import { parseInteger } from '../common.js';

export interface InitiatorCliOptions {
  interfaces?: string;
  netns?: string;
  mtu?: string;
  json?: boolean;
}

/** Add -i, --netns, --mtu and --json to a command. */
export function withInitiatorOptions(command: Command): Command {
  return command
    .option('-i, --interfaces <netif[,netif]>', 'network interfaces to use (default: every up non-loopback NIC)')
    .option('--netns <name>', 'run inside this named network namespace (/run/netns/NAME)')
    .option('--mtu <bytes>', 'set the MTU of the chosen NICs first')
    .option('--json', 'machine-readable output on stdout');
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
  if (options.mtu !== undefined) {
    const mtu = parseInteger(options.mtu, '--mtu', 68, 65535);
    const module = await loadLinkModule();
    for (const name of interfaces) await module.setMtu(name, mtu, netns);
  }
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
