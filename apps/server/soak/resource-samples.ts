// The server's memory and CPU over a soak run, read from /proc at a steady
// interval: the server process and its children (workers), as one.
import { cpuSeconds, descendants, memoryOf } from '../../../bench/proc-stats.js';

export interface ResourceSample {
  /** Seconds since the run started. */
  readonly at: number;
  readonly rssMiB: number;
  /** CPU seconds the server has used since the run started. */
  readonly cpuSeconds: number;
}

const MIB = 1024;

async function serverCpu(pid: number): Promise<number> {
  const each = await Promise.all([pid, ...(await descendants(pid))].map(cpuSeconds));
  return each.reduce((a, b) => a + b, 0);
}

/** Samples the server every `intervalMs` until {@link stop}. */
export class ResourceSampler {
  readonly samples: ResourceSample[] = [];
  readonly #pid: number;
  readonly #started = performance.now();
  readonly #cpuAtStart: number;
  readonly #timer: NodeJS.Timeout;
  #sampling: Promise<void> = Promise.resolve();

  private constructor(pid: number, cpuAtStart: number, intervalMs: number) {
    this.#pid = pid;
    this.#cpuAtStart = cpuAtStart;
    this.#timer = setInterval(() => {
      this.#sampling = this.#sampling.then(() => this.#sample());
    }, intervalMs);
  }

  static async start(pid: number, intervalMs: number): Promise<ResourceSampler> {
    return new ResourceSampler(pid, await serverCpu(pid), intervalMs);
  }

  async #sample(): Promise<void> {
    const pids = [this.#pid, ...(await descendants(this.#pid))];
    const { rss } = await memoryOf(pids);
    if (rss === 0) return; // the server is gone
    this.samples.push({
      at: (performance.now() - this.#started) / 1000,
      rssMiB: rss / MIB,
      cpuSeconds: (await serverCpu(this.#pid)) - this.#cpuAtStart,
    });
  }

  /** The last sample, if any. */
  get last(): ResourceSample | undefined {
    return this.samples.at(-1);
  }

  /** Takes a last sample and stops. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sampling;
    await this.#sample();
  }
}

/**
 * RSS after warm-up (the first quarter of the run, at least 30 s): its
 * lowest and highest, and the drift, the mean of the last tenth of those
 * samples against the mean of the first tenth, in percent. A server that
 * keeps memory it no longer needs drifts up; a steady one stays within a
 * few percent.
 */
export function rssAfterWarmUp(samples: readonly ResourceSample[], seconds: number) {
  const warmUp = Math.max(30, seconds / 4);
  const steady = samples.filter((s) => s.at >= warmUp);
  if (steady.length < 4) return undefined;
  const tenth = Math.max(1, Math.floor(steady.length / 10));
  const mean = (list: readonly ResourceSample[]) =>
    list.reduce((sum, s) => sum + s.rssMiB, 0) / list.length;
  const first = mean(steady.slice(0, tenth));
  const last = mean(steady.slice(-tenth));
  return {
    warmUpSeconds: warmUp,
    minMiB: Math.min(...steady.map((s) => s.rssMiB)),
    maxMiB: Math.max(...steady.map((s) => s.rssMiB)),
    driftPercent: ((last - first) / first) * 100,
  };
}
