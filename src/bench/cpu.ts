// CPU accounting for the benchmark: utime+stime of any process and of all kernel threads from /proc, of this process, and the machine's busy time.
import { readdirSync, readFileSync } from 'node:fs';

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

/** PF_KTHREAD in the flags field (9) of /proc/PID/stat. */
const KERNEL_THREAD_FLAG = 0x00200000;

/**
 * CPU seconds consumed so far by all kernel threads (ksoftirqd, kworkers, NAPI threads...). Their work during a run is mostly the
 * network stack carrying our own frames, so it is taken out of "other load": what remains is other user processes.
 */
export function kernelThreadsCpuSeconds(): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return Number.NaN;
  }
  for (const name of names) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After comm: state(3) ppid pgrp session tty_nr tpgid flags(9) ... utime(14) stime(15); fields[0] is field 3.
    if ((Number(fields[6]) & KERNEL_THREAD_FLAG) === 0) continue;
    total += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  }
  return total;
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
  private readonly kernelStart: number;
  constructor(private readonly targetPids: readonly number[]) {
    this.kernelStart = kernelThreadsCpuSeconds();
    this.targetStart = processesCpuSeconds(targetPids);
    this.selfStart = selfCpuSeconds();
    this.machineStart = machineBusySeconds();
  }

  /** CPU seconds since construction: the targets, this process, kernel threads, and the whole machine (everything that ran, other jobs included). */
  stop(): { targetCpuSeconds: number; initiatorCpuSeconds: number; kernelThreadSeconds: number; machineBusySeconds: number } {
    const machine = machineBusySeconds() - this.machineStart;
    const initiator = selfCpuSeconds() - this.selfStart;
    const target = processesCpuSeconds(this.targetPids) - this.targetStart;
    return {
      targetCpuSeconds: target,
      initiatorCpuSeconds: initiator,
      kernelThreadSeconds: kernelThreadsCpuSeconds() - this.kernelStart,
      machineBusySeconds: machine,
    };
  }
}
