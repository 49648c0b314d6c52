// CPU accounting for the benchmark: utime+stime and run-queue waits of processes from /proc, of kernel threads, of this process, and the machine's busy time.
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

/**
 * Seconds the threads of `pids` spent runnable but waiting for a CPU (second field of /proc/PID/task/TID/schedstat,
 * nanoseconds), summed; NaN when the kernel does not report it. Threads that exit meanwhile drop out of the sum.
 */
export function runQueueWaitSeconds(pids: readonly number[]): number {
  let total = 0;
  try {
    for (const pid of pids) {
      const where = pid === 0 ? 'self' : String(pid);
      for (const task of readdirSync(`/proc/${where}/task`)) {
        try {
          total += Number(readFileSync(`/proc/${where}/task/${task}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
        } catch {
          // the thread exited between the listing and the read
        }
      }
    }
  } catch {
    return Number.NaN;
  }
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

/** CPU counters of every process at one instant, from /proc/PID/stat. */
export interface ProcessSnapshot {
  /** Per user-space PID: utime + stime + cutime + cstime (its own CPU plus that of the children it reaped), seconds. */
  user: Map<number, number>;
  /** utime + stime of all kernel threads together (ksoftirqd, kworkers, NAPI threads), seconds. */
  kernelThreads: number;
}

export function snapshotProcesses(): ProcessSnapshot {
  const user = new Map<number, number>();
  let kernelThreads = 0;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return { user, kernelThreads: Number.NaN };
  }
  for (const name of names) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // After comm: fields[0] is field 3 (state); flags = field 9, utime/stime/cutime/cstime = fields 14-17.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    if ((Number(fields[6]) & KERNEL_THREAD_FLAG) !== 0) kernelThreads += own / TICKS_PER_SECOND;
    else user.set(Number(name), (own + Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND);
  }
  return { user, kernelThreads };
}

/**
 * CPU seconds that user processes other than `exclude` used between two snapshots. Counting reaped children's time (cutime) and
 * subtracting the start figure of processes that vanished keeps short-lived processes of other jobs in the sum, and nothing twice.
 */
export function otherProcessesSeconds(start: ProcessSnapshot, end: ProcessSnapshot, exclude: ReadonlySet<number>): number {
  let total = 0;
  for (const [pid, seconds] of end.user) if (!exclude.has(pid)) total += seconds - (start.user.get(pid) ?? 0);
  for (const [pid, seconds] of start.user) if (!exclude.has(pid) && !end.user.has(pid)) total -= seconds;
  return Math.max(0, total);
}

/** User + system CPU seconds of this process (microsecond resolution). */
export function selfCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Snapshot of CPU counters taken at the start of a measurement; `stop()` returns the seconds spent since. */
export class CpuMeter {
  private readonly targetStart: number;
  private readonly backingServerStart: number;
  private readonly targetWaitStart: number;
  private readonly selfWaitStart: number;
  private readonly selfStart: number;
  private readonly machineStart: number;
  private readonly processesStart: ProcessSnapshot;
  /** The measured processes, plus the bench runner that started this one: not "other". */
  private readonly ours: ReadonlySet<number>;
  constructor(
    private readonly targetPids: readonly number[],
    private readonly backingServerPids: readonly number[] = [],
  ) {
    this.ours = new Set([...targetPids, process.pid, process.ppid]);
    this.processesStart = snapshotProcesses();
    this.targetStart = processesCpuSeconds(targetPids);
    this.backingServerStart = processesCpuSeconds(backingServerPids);
    this.targetWaitStart = runQueueWaitSeconds(targetPids);
    this.selfWaitStart = runQueueWaitSeconds([0]);
    this.selfStart = selfCpuSeconds();
    this.machineStart = machineBusySeconds();
  }

  /** CPU seconds since construction: the targets, this process, kernel threads, other user processes, and the whole machine. */
  stop(): {
    targetCpuSeconds: number;
    backingServerCpuSeconds: number;
    initiatorCpuSeconds: number;
    /** Seconds the target's / this process's threads waited for a CPU while runnable. */
    targetWaitSeconds: number;
    initiatorWaitSeconds: number;
    kernelThreadSeconds: number;
    otherProcessSeconds: number;
    machineBusySeconds: number;
  } {
    const machine = machineBusySeconds() - this.machineStart;
    const initiator = selfCpuSeconds() - this.selfStart;
    const target = processesCpuSeconds(this.targetPids) - this.targetStart;
    const processesEnd = snapshotProcesses();
    return {
      targetCpuSeconds: target,
      backingServerCpuSeconds: processesCpuSeconds(this.backingServerPids) - this.backingServerStart,
      targetWaitSeconds: runQueueWaitSeconds(this.targetPids) - this.targetWaitStart,
      initiatorWaitSeconds: runQueueWaitSeconds([0]) - this.selfWaitStart,
      initiatorCpuSeconds: initiator,
      kernelThreadSeconds: processesEnd.kernelThreads - this.processesStart.kernelThreads,
      otherProcessSeconds: otherProcessesSeconds(this.processesStart, processesEnd, this.ours),
      machineBusySeconds: machine,
    };
  }
}
