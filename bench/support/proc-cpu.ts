// Where the cores went, from /proc (Linux): per process, the time on a CPU and the time spent runnable
// but waiting for one (schedstat), and the machine's CPU pressure. On a shared or small machine the second
// figure says whether a process was slow or simply not scheduled.
import { readdirSync, readFileSync } from 'node:fs';

export interface SchedTime {
  /** Seconds on a CPU. */
  cpuS: number;
  /** Seconds runnable but waiting in a run queue. */
  waitS: number;
}

/** Summed over every thread of the process; zeros once it is gone. */
export function schedOf(pid: number): SchedTime {
  const out = { cpuS: 0, waitS: 0 };
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    try {
      // "<ns on cpu> <ns waiting on a run queue> <timeslices>"
      const [cpu, wait] = readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ');
      out.cpuS += Number(cpu) / 1e9;
      out.waitS += Number(wait) / 1e9;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** Seconds during which some runnable task waited for a CPU (PSI "some"); null without PSI. */
export function cpuPressureS(): number | null {
  try {
    const some = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0] ?? '';
    const total = /total=(\d+)/.exec(some)?.[1];
    return total === undefined ? null : Number(total) / 1e6;
  } catch {
    return null;
  }
}

/** schedOf summed over processes (a pool's database backends). */
export function schedOfAll(pids: readonly number[]): SchedTime {
  return pids.map(schedOf).reduce((a, b) => ({ cpuS: a.cpuS + b.cpuS, waitS: a.waitS + b.waitS }), {
    cpuS: 0,
    waitS: 0,
  });
}

export function minus(a: SchedTime, b: SchedTime): SchedTime {
  return { cpuS: a.cpuS - b.cpuS, waitS: a.waitS - b.waitS };
}

/** CPU seconds the whole machine spent busy (all cores, every process), from /proc/stat. */
export function machineBusyS(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal ...; USER_HZ is 100 on Linux.
  const [, ...ticks] = line.trim().split(/\s+/).map(Number);
  const busy = ticks.slice(0, 8).reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
  return busy / 100;
}
