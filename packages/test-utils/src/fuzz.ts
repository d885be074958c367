// What the fuzzers of the workspace share: a seeded random source that
// replays a run, mutators of bytes, text and JSON values, and the loop that
// runs cases, counts them and reports in one line.

/** A seeded pseudo-random source (mulberry32): the same seed gives the same cases. */
export class FuzzRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, below). */
  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }
}

/** Characters that break parsers: quotes, escapes, separators, controls, NUL, non-ASCII. */
const NASTY = [
  '"',
  "'",
  '\\',
  '\n',
  '\r',
  '\0',
  ' ',
  '\t',
  '/',
  '..',
  '=',
  ':',
  '{',
  '}',
  '[',
  ']',
  ',',
  '#',
  '$',
  '%',
  'é',
  '\u2028',
  '\ud800',
  '😀',
];

/** A string of up to `max` characters, printable or hostile. */
export function fuzzString(r: FuzzRandom, max = 40): string {
  const length = r.int(max + 1);
  let out = '';
  for (let i = 0; i < length; i++) {
    out += r.chance(0.3) ? r.pick(NASTY) : String.fromCharCode(32 + r.int(95));
  }
  return out;
}

/** Numbers at the edges: negative, huge, fractional, not finite-safe. */
const EDGE_NUMBERS = [0, -1, 1, 2 ** 31, 2 ** 53, -(2 ** 53), 0.5, 1e308, -0, 65535, 65536];

/** A JSON value of up to `depth` levels. */
export function fuzzJson(r: FuzzRandom, depth = 3): unknown {
  const kind = r.int(depth > 0 ? 7 : 5);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.chance(0.5) ? r.pick(EDGE_NUMBERS) : r.int(1000);
    case 3:
    case 4:
      return fuzzString(r);
    case 5:
      return Array.from({ length: r.int(4) }, () => fuzzJson(r, depth - 1));
    default:
      return Object.fromEntries(
        Array.from({ length: r.int(4) }, () => [fuzzString(r, 12), fuzzJson(r, depth - 1)]),
      );
  }
}

/**
 * A copy of `value` with some of its leaves replaced, keys dropped or added:
 * a valid document made slightly wrong, which reaches deeper than noise.
 */
export function mutateJson(r: FuzzRandom, value: unknown): unknown {
  if (r.chance(0.15)) return fuzzJson(r, 2);
  if (Array.isArray(value)) return value.map((v) => mutateJson(r, v));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(() => !r.chance(0.1));
    if (r.chance(0.2)) entries.push([fuzzString(r, 12), fuzzJson(r, 1)]);
    return Object.fromEntries(entries.map(([k, v]) => [k, mutateJson(r, v)]));
  }
  return value;
}

/** `input` with bytes flipped, cut, repeated or inserted. */
export function mutateBytes(r: FuzzRandom, input: Buffer): Buffer {
  let out = Buffer.from(input);
  for (let n = 1 + r.int(4); n > 0; n--) {
    const at = r.int(out.length + 1);
    switch (r.int(4)) {
      case 0:
        if (out.length > 0) out[Math.min(at, out.length - 1)] = r.int(256);
        break;
      case 1:
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + r.int(8))]);
        break;
      case 2:
        out = Buffer.concat([out.subarray(0, at), r.bytes(1 + r.int(8)), out.subarray(at)]);
        break;
      default:
        out = Buffer.concat([
          out.subarray(0, at),
          out.subarray(at, at + r.int(16)),
          out.subarray(at),
        ]);
    }
  }
  return out;
}

export interface FuzzOutcome {
  readonly cases: number;
  /** Cases whose check failed or that threw what they must not. */
  readonly failures: number;
  readonly seconds: number;
}

/**
 * Runs `cases` cases of `run`, each with a random source seeded from `seed`
 * and its index, so that a failing case replays alone with its own seed. A
 * case fails by throwing; its seed and message are printed (the first ten).
 * Ends with one line, `fuzz <name>: N cases, F failures, S s (seed X)`.
 */
export async function runFuzzCases(
  name: string,
  cases: number,
  seed: number,
  run: (r: FuzzRandom, caseSeed: number) => Promise<void> | void,
): Promise<FuzzOutcome> {
  const started = performance.now();
  let failures = 0;
  for (let i = 0; i < cases; i++) {
    const caseSeed = (seed + i) | 0;
    try {
      await run(new FuzzRandom(caseSeed), caseSeed);
    } catch (err) {
      if (++failures <= 10) {
        console.error(`fuzz ${name}: case seed ${caseSeed}: ${(err as Error)?.stack ?? err}`);
      }
    }
  }
  const seconds = Math.round((performance.now() - started) / 1000);
  console.log(`fuzz ${name}: ${cases} cases, ${failures} failures, ${seconds} s (seed ${seed})`);
  return { cases, failures, seconds };
}

/** The case count (argument 2, or FUZZ_CASES, or `fallback`) and seed (FUZZ_SEED, or random) of a fuzz script. */
export function fuzzSettings(fallback: number): { cases: number; seed: number } {
  const cases = Number(process.argv[2] ?? process.env.FUZZ_CASES ?? fallback);
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  return { cases, seed };
}
