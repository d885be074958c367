// What a soak run counts: operations and errors per kind, and the latency of
// each kind in a histogram of logarithmic buckets, so that an hour of a
// thousand sessions keeps a few kilobytes, not millions of samples.

/** Each bucket is 2% wider than the one below it: quantiles within 2%. */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Durations below this (milliseconds) share the first bucket. */
const FLOOR_MS = 0.1;
/** Error messages kept per kind; the rest are only counted. */
const KEPT_MESSAGES = 5;

class LatencyHistogram {
  private readonly buckets = new Map<number, number>();
  count = 0;

  record(ms: number): void {
    const index = Math.max(0, Math.ceil(Math.log(Math.max(ms, FLOOR_MS) / FLOOR_MS) / LOG_GROWTH));
    this.buckets.set(index, (this.buckets.get(index) ?? 0) + 1);
    this.count++;
  }

  /** The duration that `q` (0..1) of the samples do not exceed, in milliseconds. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (const index of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(index)!;
      if (seen >= rank) return FLOOR_MS * GROWTH ** index;
    }
    return Number.NaN; // not reached: the counts add up to `count`
  }
}

export interface KindFigures {
  readonly kind: string;
  readonly ok: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The first messages of its errors, as the client saw them. */
  readonly messages: readonly string[];
}

interface Kind {
  readonly latency: LatencyHistogram;
  errors: number;
  readonly messages: string[];
}

/** Operations and errors of a run, by kind. */
export class Tally {
  private readonly kinds = new Map<string, Kind>();

  /** `onNewError` hears each error message kept, as it happens. */
  constructor(private readonly onNewError: (kind: string, message: string) => void = () => {}) {}

  private kind(name: string): Kind {
    let kind = this.kinds.get(name);
    if (!kind) {
      kind = { latency: new LatencyHistogram(), errors: 0, messages: [] };
      this.kinds.set(name, kind);
    }
    return kind;
  }

  ok(name: string, ms: number): void {
    this.kind(name).latency.record(ms);
  }

  error(name: string, err: unknown): void {
    const kind = this.kind(name);
    kind.errors++;
    if (kind.messages.length < KEPT_MESSAGES) {
      // fetch says only `fetch failed`: what failed is its cause
      const cause = (err as { cause?: { message?: string; code?: string } })?.cause;
      const message =
        (err instanceof Error ? err.message : String(err)) +
        (cause ? ` (${[cause.code, cause.message].filter(Boolean).join(': ')})` : '');
      kind.messages.push(message);
      this.onNewError(name, message);
    }
  }

  /** Runs `op`, counting it under `name` with its duration, or as an error; never throws. */
  async succeeds(name: string, op: () => Promise<unknown>): Promise<boolean> {
    const started = performance.now();
    try {
      await op();
      this.ok(name, performance.now() - started);
      return true;
    } catch (err) {
      this.error(name, err);
      return false;
    }
  }

  /** As {@link succeeds}, with what `op` resolved to, or undefined after an error. */
  async result<T>(name: string, op: () => Promise<T>): Promise<T | undefined> {
    let value: T | undefined;
    await this.succeeds(name, async () => {
      value = await op();
    });
    return value;
  }

  get errors(): number {
    let sum = 0;
    for (const kind of this.kinds.values()) sum += kind.errors;
    return sum;
  }

  get operations(): number {
    let sum = 0;
    for (const kind of this.kinds.values()) sum += kind.latency.count;
    return sum;
  }

  figures(): KindFigures[] {
    return [...this.kinds.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, { latency, errors, messages }]) => ({
        kind,
        ok: latency.count,
        errors,
        p50Ms: latency.quantile(0.5),
        p99Ms: latency.quantile(0.99),
        messages,
      }));
  }
}
