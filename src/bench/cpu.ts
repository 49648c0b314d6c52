// CPU accounting for the benchmark: utime+stime of any process from /proc/PID/stat, and of this process.
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second (USER_HZ). 100 on every mainstream Linux build; /proc/PID/stat counts in these. */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds consumed so far by process `pid` (all its threads), or NaN if it is gone. */
export function processCpuSeconds(pid: number): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return Number.NaN;
  }
  // Field 2 (comm) may contain spaces and parentheses: split after the last ')'. utime, stime are fields 14, 15.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Summed CPU seconds of several processes (one vblade per link). */
export function processesCpuSeconds(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) total += processCpuSeconds(pid);
  return total;
}

/** CPU seconds all CPUs together spent busy (not idle/iowait) since boot, from the first line of /proc/stat. */
export function machineBusySeconds(): number {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return Number.NaN;
  }
  // cpu  user nice system idle iowait irq softirq steal ...
  const fields = text.slice(0, text.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
  return (total - fields[3] - fields[4]) / TICKS_PER_SECOND;
}

/** User + system CPU seconds of this process (microsecond resolution). */
export function selfCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Snapshot of CPU counters taken at the start of a measurement; `stop()` returns the seconds spent since. */
export class CpuMeter {
  private readonly targetStart: number;
  private readonly selfStart: number;
  private readonly machineStart: number;
  constructor(private readonly targetPids: readonly number[]) {
    this.targetStart = processesCpuSeconds(targetPids);
    this.selfStart = selfCpuSeconds();
    this.machineStart = machineBusySeconds();
  }

  /** CPU seconds since construction: the targets, this process, and the whole machine (everything that ran, other jobs included). */
  stop(): { targetCpuSeconds: number; initiatorCpuSeconds: number; machineBusySeconds: number } {
    return {
      targetCpuSeconds: processesCpuSeconds(this.targetPids) - this.targetStart,
      initiatorCpuSeconds: selfCpuSeconds() - this.selfStart,
      machineBusySeconds: machineBusySeconds() - this.machineStart,
    };
  }
}
