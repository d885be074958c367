// What the benchmark reads of a server's processes in /proc (Linux): CPU time,
// memory, and the tree of processes under a listener.
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Clock ticks per second of the times in /proc/<pid>/stat (USER_HZ). */
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * CPU seconds of a process and of its reaped descendants: utime + stime of
 * all its threads, plus cutime + cstime, which the kernel adds up for every
 * child the process has waited for (and, through them, their own children).
 * Read after a session's processes have exited and been reaped, it covers
 * them too.
 */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name, in parentheses, may hold spaces: the fields after it
  // start at field 3 (state), so utime (field 14) is at index 11.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0);
  return ticks / TICKS;
}

/** The processes that `pid` started and has not yet reaped. */
export async function childrenOf(pid: number): Promise<number[]> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    const lists = await Promise.all(
      tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')),
    );
    return lists.flatMap((l) => l.split(' ').filter(Boolean).map(Number));
  } catch {
    return []; // gone meanwhile
  }
}

/** Every process under `pid`, children first, then theirs. */
export async function descendants(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (let level = await childrenOf(pid); level.length > 0; ) {
    found.push(...level);
    level = (await Promise.all(level.map(childrenOf))).flat();
  }
  return found;
}

/**
 * Waits until `pid` has no child left, so that their CPU time has reached its
 * cutime; false if some are still there after `timeoutMs`.
 */
export async function waitForNoChildren(pid: number, timeoutMs = 10_000): Promise<boolean> {
  for (let waited = 0; waited < timeoutMs; waited += 20) {
    if ((await childrenOf(pid)).length === 0) return true;
    await sleep(20);
  }
  return false;
}

/** A field of /proc/<pid>/status or smaps_rollup, in KiB; 0 once the process is gone. */
async function kib(pid: number, file: 'status' | 'smaps_rollup', field: string): Promise<number> {
  try {
    const text = await readFile(`/proc/${pid}/${file}`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Sum of the resident (VmRSS) and proportional (Pss) sizes of `pids`, in KiB. */
export async function memoryOf(pids: readonly number[]): Promise<{ rss: number; pss: number }> {
  const rss = await Promise.all(pids.map((p) => kib(p, 'status', 'VmRSS')));
  const pss = await Promise.all(pids.map((p) => kib(p, 'smaps_rollup', 'Pss')));
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return { rss: sum(rss), pss: sum(pss) };
}

/**
 * Follows the peak RSS of a set of processes that may come and go during a
 * run: every 100 ms, and once more at the end, the sum of the VmHWM (each
 * one's own peak) of the processes there at that moment; the largest sum.
 * Processes that never ran together are never added up; one that lives less
 * than 100 ms may be missed; one that stays to the end is exact.
 */
export class PeakRss {
  readonly #list: () => Promise<number[]>;
  readonly #timer: NodeJS.Timeout;
  #sampling: Promise<void> = Promise.resolve();
  #peak = 0;

  private constructor(list: () => Promise<number[]>) {
    this.#list = list;
    this.#timer = setInterval(() => {
      this.#sampling = this.#sampling.then(() => this.#sample());
    }, 100);
  }

  /**
   * Starts following the processes `list` returns, after resetting the peak
   * of those already there (`5` into clear_refs, Linux 4.0 and later).
   */
  static async start(list: () => Promise<number[]>): Promise<PeakRss> {
    await Promise.all(
      (await list()).map((pid) => writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => {})),
    );
    return new PeakRss(list);
  }

  async #sample(): Promise<void> {
    const pids = await this.#list();
    const peaks = await Promise.all(pids.map((pid) => kib(pid, 'status', 'VmHWM')));
    this.#peak = Math.max(
      this.#peak,
      peaks.reduce((a, b) => a + b, 0),
    );
  }

  /** Stops sampling; the largest sum, in KiB. */
  async stop(): Promise<number> {
    clearInterval(this.#timer);
    await this.#sampling;
    await this.#sample();
    return this.#peak;
  }
}

/**
 * Jiffies the machine's CPUs have spent busy and in all since boot, from
 * the first line of /proc/stat: the busy share between two readings says
 * whether a run had the machine's cores to itself (clients and servers
 * together).
 */
export async function machineTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  const values = line.split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  // idle and iowait
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}
