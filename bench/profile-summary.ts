// Sums the self time of each function, and of each file, in a V8 CPU profile
// (the .cpuprofile JSON that `node --cpu-prof` writes).
//   tsx bench/profile-summary.ts [--top N] FILE.cpuprofile...
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** The subset of the .cpuprofile format that we read. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; lineNumber: number };
  }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface SelfTime {
  /** `function (file:line)`, or a V8 pseudo-frame such as `(garbage collector)`. */
  readonly name: string;
  readonly micros: number;
}

export interface ProfileSummary {
  readonly totalMicros: number;
  /** Time in `(idle)`: the event loop waiting for I/O. */
  readonly idleMicros: number;
  /** Self time per function, largest first. */
  readonly functions: readonly SelfTime[];
  /** Self time per script, largest first. */
  readonly files: readonly SelfTime[];
}

function shortUrl(url: string): string {
  if (!url.startsWith('file://')) return url;
  const path = relative(process.cwd(), fileURLToPath(url));
  return path.replace(/^(\.\.\/)*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '');
}

function sortedTimes(times: Map<string, number>): SelfTime[] {
  return [...times].map(([name, micros]) => ({ name, micros })).sort((a, b) => b.micros - a.micros);
}

/** Each sample lasts until the next one; V8 attributes it to the frame on top. */
export function summarize(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  let at = profile.startTime;
  let total = 0;
  let idle = 0;
  for (let i = 0; i < samples.length; i++) {
    at += deltas[i] ?? 0;
    const next = i + 1 < samples.length ? at + (deltas[i + 1] ?? 0) : profile.endTime;
    const micros = Math.max(0, next - at);
    const frame = byId.get(samples[i]!);
    if (!frame) continue;
    const url = shortUrl(frame.url);
    const fn = frame.functionName || '(anonymous)';
    const name = url ? `${fn} (${url}:${frame.lineNumber + 1})` : fn;
    functions.set(name, (functions.get(name) ?? 0) + micros);
    const file = url || fn;
    files.set(file, (files.get(file) ?? 0) + micros);
    total += micros;
    if (fn === '(idle)') idle += micros;
  }
  return {
    totalMicros: total,
    idleMicros: idle,
    functions: sortedTimes(functions),
    files: sortedTimes(files),
  };
}

/** A few lines of text: the top functions and files, as a share of the busy time. */
export function formatSummary(title: string, s: ProfileSummary, top = 15): string {
  const busy = s.totalMicros - s.idleMicros;
  const share = (micros: number) =>
    `${((100 * micros) / Math.max(busy, 1)).toFixed(1)}%`.padStart(6);
  const ms = (micros: number) => `${(micros / 1000).toFixed(0)} ms`.padStart(9);
  const list = (items: readonly SelfTime[]) =>
    items
      .filter((t) => t.name !== '(idle)')
      .slice(0, top)
      .map((t) => `  ${ms(t.micros)} ${share(t.micros)}  ${t.name}`);
  return [
    `${title}: ${ms(s.totalMicros).trim()} profiled, ${ms(busy).trim()} busy, ${ms(s.idleMicros).trim()} idle`,
    ' self time by function (share of busy time):',
    ...list(s.functions),
    ' self time by file:',
    ...list(s.files),
    '',
  ].join('\n');
}

export async function summarizeFile(path: string): Promise<ProfileSummary> {
  return summarize(JSON.parse(await readFile(path, 'utf8')) as CpuProfile);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '15' } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    process.stderr.write('usage: tsx bench/profile-summary.ts [--top N] FILE.cpuprofile...\n');
    process.exit(2);
  }
  for (const path of positionals) {
    process.stdout.write(formatSummary(path, await summarizeFile(path), Number(values.top)));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
