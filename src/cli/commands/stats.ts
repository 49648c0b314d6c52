// `aoe stats`: aoeblade's per-export and per-NIC counters from its control socket, as tables or JSON, once or every SEC seconds.
import { Command } from 'commander';
import { requestTargetStats } from '../../blade/control-client.js';
import { meanLatencySeconds, targetRates, type TargetRates } from '../../blade/stats-rates.js';
import type { TargetStats } from '../../blade/stats.js';
import { UsageError } from '../common.js';
import { table } from './initiator-options.js';

export const DEFAULT_CONTROL_SOCKET = '/run/aoeblade.sock';

interface StatsOptions {
  socket: string;
  json?: boolean;
  watch?: string;
}

/** 512, 1.5K, 64.0M, 1.1G (binary units, short enough for a table). */
function compact(bytes: number): string {
  const units = ['', 'K', 'M', 'G', 'T', 'P'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? String(value) : `${value.toFixed(1)}${units[unit]}`;
}

const megabytes = (bytesPerSecond: number) => `${(bytesPerSecond / 1e6).toFixed(1)}`;
const milliseconds = (seconds: number) => (Number.isNaN(seconds) ? '-' : (seconds * 1000).toFixed(3));

/** The two tables `aoe stats` prints; with `rates` (from --watch) the per-second columns too. */
export function formatTargetStats(stats: TargetStats, rates?: TargetRates): string {
  const exportHeader = [
    'EXPORT',
    'SIZE',
    'READ',
    'WRITTEN',
    'READS',
    'WRITES',
    'FLUSHES',
    'ERR AOE/ATA/IO',
    'DENIED MASK/RESV',
    'IN FLIGHT',
  ];
  const nicHeader = ['NIC', 'STATE', 'MTU', 'FRAMES IN', 'FRAMES OUT', 'BYTES IN', 'BYTES OUT', 'IGNORED', 'DROPPED', 'SEND RETRIES'];
  if (rates) {
    exportHeader.push('READ MB/s', 'WRITE MB/s', 'IOPS', 'LAT ms');
    nicHeader.push('IN MB/s', 'OUT MB/s');
  } else exportHeader.push('LAT ms');
  const exportRows = stats.exports.map((e) => {
    const row = [
      e.target,
      compact(e.sizeBytes),
      compact(e.bytesRead),
      compact(e.bytesWritten),
      String(e.readCommands),
      String(e.writeCommands),
      String(e.flushes),
      `${e.aoeErrors}/${e.ataErrors}/${e.ioErrors}`,
      `${e.maskDenied}/${e.reservedDenied}`,
      String(e.inFlight),
    ];
    const rate = rates?.exports.get(e.target);
    if (rates) {
      row.push(
        rate ? megabytes(rate.readBytesPerSecond) : '-',
        rate ? megabytes(rate.writtenBytesPerSecond) : '-',
        rate ? rate.requestsPerSecond.toFixed(0) : '-',
        rate ? milliseconds(rate.meanLatencySeconds) : '-',
      );
    } else row.push(milliseconds(meanLatencySeconds(e.latency)));
    if (e.writeFailure) row[0] += ` (write failed: ${e.writeFailure.code})`;
    return row;
  });
  const nicRows = stats.nics.map((n) => {
    const row = [
      n.name,
      n.up && n.carrier ? 'up' : n.up ? 'no-carrier' : 'down',
      String(n.mtu),
      String(n.framesIn),
      String(n.framesOut),
      compact(n.bytesIn),
      compact(n.bytesOut),
      String(n.malformed + n.responsesIgnored + n.notForUs),
      String(n.poolExhausted + n.sendDropped + n.droppedStopping + n.link.kernelDrops),
      String(n.sendRetries),
    ];
    const rate = rates?.nics.get(n.name);
    if (rates) row.push(rate ? megabytes(rate.bytesInPerSecond) : '-', rate ? megabytes(rate.bytesOutPerSecond) : '-');
    return row;
  });
  const heading = `aoeblade up ${stats.uptimeSeconds} s, at ${stats.time}${rates ? `, rates over ${rates.seconds.toFixed(1)} s` : ''}\n`;
  return `${heading}${table([exportHeader, ...exportRows])}\n${table([nicHeader, ...nicRows])}`;
}

function ratesToJson(rates: TargetRates) {
  return { seconds: rates.seconds, exports: Object.fromEntries(rates.exports), nics: Object.fromEntries(rates.nics) };
}

export function statsCommand(): Command {
  return new Command('stats')
    .description("show a running aoeblade's counters per export and per NIC (from its --control-socket)")
    .option('--socket <path>', "aoeblade's --control-socket", DEFAULT_CONTROL_SOCKET)
    .option('--json', 'the stats as JSON (with --watch: one line per interval, with rates)')
    .option('--watch <seconds>', 'redraw every SEC seconds, with rates since the last draw; Ctrl-C stops')
    .addHelpText(
      'after',
      `
READ and WRITTEN are data bytes; ERR counts AoE-level, ATA-level and store (I/O) errors; DENIED counts requests
from MACs not on the mask list (unanswered) and refused by a reservation; LAT is the mean time from a request's
arrival to its reply leaving. IGNORED: malformed, responses, not for us; DROPPED: reply pool empty, send given
up, stopping, kernel drops.

Examples:
  aoe stats                                      # ${DEFAULT_CONTROL_SOCKET}
  aoe stats --socket /run/aoeblade-shelf2.sock --json
  aoe stats --watch 2                            # every 2 s, with MB/s, IOPS and latency`,
    )
    .action(async (options: StatsOptions) => {
      let intervalMs: number | undefined;
      if (options.watch !== undefined) {
        const seconds = Number(options.watch);
        if (!(seconds >= 0.1 && seconds <= 3600))
          throw new UsageError(`--watch must be a number of seconds in [0.1, 3600], got '${options.watch}'`);
        intervalMs = seconds * 1000;
      }
      if (intervalMs === undefined) {
        const stats = await requestTargetStats(options.socket);
        process.stdout.write(options.json ? `${JSON.stringify(stats, null, 2)}\n` : formatTargetStats(stats));
        return;
      }
      await watch(options.socket, intervalMs, Boolean(options.json));
    });
}

/** Redraw until SIGINT/SIGTERM (exit 0); a socket that stops answering ends it with its error. */
async function watch(socketPath: string, intervalMs: number, json: boolean): Promise<void> {
  let stopped = false;
  let wake: () => void = () => {};
  const stop = () => {
    stopped = true;
    wake();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const clear = process.stdout.isTTY && !json ? '\x1b[H\x1b[2J' : '';
  let previous: TargetStats | undefined;
  try {
    while (!stopped) {
      const stats = await requestTargetStats(socketPath);
      const rates = previous ? targetRates(previous, stats) : undefined;
      if (json) process.stdout.write(`${JSON.stringify({ stats, rates: rates ? ratesToJson(rates) : null })}\n`);
      else process.stdout.write(`${clear}${formatTargetStats(stats, rates)}${clear ? '' : '\n'}`);
      previous = stats;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
