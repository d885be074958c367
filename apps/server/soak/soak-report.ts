// A soak run's figures, and the Markdown they are printed as.
import type { ResourceSample } from './resource-samples.js';
import type { StoreFigures } from './store-check.js';
import type { KindFigures } from './tally.js';

export interface SoakReport {
  readonly machine: string;
  readonly code: string;
  readonly provider: string;
  readonly sftpSessions: number;
  readonly scpSessions: number;
  readonly seconds: number;
  readonly kinds: readonly KindFigures[];
  readonly operations: number;
  readonly errors: number;
  /** The p99 event-loop delay of the server between two scrapes, in order. */
  readonly eventLoopP99Ms: readonly number[];
  readonly samples: readonly ResourceSample[];
  readonly rss:
    | { warmUpSeconds: number; minMiB: number; maxMiB: number; driftPercent: number }
    | undefined;
  /** CPU seconds of the process that ran the clients (scp's processes aside). */
  readonly clientCpuSeconds: number;
  /** How busy the machine's cores were over the run, everything on it counted. */
  readonly machineBusyPercent: number;
  readonly store: StoreFigures;
  /** How `sftpgo serve` ended on SIGTERM at the end. */
  readonly serverExit: string;
}

/** The largest drift of RSS after warm-up that counts as flat, in percent. */
export const RSS_DRIFT_TARGET = 10;

const ms = (value: number) =>
  Number.isNaN(value) ? '–' : value < 10 ? value.toFixed(1) : Math.round(value).toString();

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export function formatReport(r: SoakReport): string {
  const last = r.samples.at(-1);
  const cpu = last?.cpuSeconds ?? Number.NaN;
  const peak = Math.max(...r.samples.map((s) => s.rssMiB));
  const lines = [
    `## Soak: ${r.sftpSessions} SFTP and ${r.scpSessions} SCP sessions, ${Math.round(r.seconds)} s, ${r.provider}`,
    '',
    `Machine: ${r.machine}. Code: ${r.code}.`,
    '',
    '| operation | done | errors | p50 ms | p99 ms |',
    '| --- | --: | --: | --: | --: |',
    ...r.kinds.map(
      (k) => `| ${k.kind} | ${k.ok} | ${k.errors} | ${ms(k.p50Ms)} | ${ms(k.p99Ms)} |`,
    ),
    '',
    `- operations: ${r.operations} (${Math.round(r.operations / r.seconds)}/s), errors: ${r.errors}`,
    `- server CPU: ${cpu.toFixed(0)} s (${((cpu / r.seconds) * 100).toFixed(0)}% of one core); ` +
      `clients' process: ${r.clientCpuSeconds.toFixed(0)} s; the machine's cores ` +
      `${r.machineBusyPercent.toFixed(0)}% busy`,
    `- server event-loop delay p99, per scrape: median ${ms(median(r.eventLoopP99Ms))} ms, ` +
      `highest ${ms(Math.max(...r.eventLoopP99Ms))} ms`,
    `- server RSS: first sample ${Math.round(r.samples[0]?.rssMiB ?? 0)} MiB, peak ${Math.round(peak)} MiB` +
      (r.rss
        ? `; after ${Math.round(r.rss.warmUpSeconds)} s of warm-up ${Math.round(r.rss.minMiB)}–` +
          `${Math.round(r.rss.maxMiB)} MiB, drift ${r.rss.driftPercent.toFixed(1)}% ` +
          `(target within ±${RSS_DRIFT_TARGET}%: ${Math.abs(r.rss.driftPercent) <= RSS_DRIFT_TARGET ? 'met' : 'missed'})`
        : '; too short a run to judge after warm-up'),
    `- store afterwards: ${r.store.files} files, ${r.store.bytes} bytes on disk; quota tracked ` +
      `through the load (with scans during transfers) ${r.store.trackedFiles} files, ` +
      `${r.store.trackedBytes} bytes; ` +
      (r.store.problems.length
        ? `problems: ${r.store.problems.join('; ')}`
        : 'no file left behind, and a scan of the idle home counts what is on disk'),
    `- sftpgo serve on SIGTERM: ${r.serverExit}`,
  ];
  const failing = r.kinds.filter((k) => k.errors > 0);
  if (failing.length) {
    lines.push('', 'First errors:');
    for (const k of failing) for (const m of k.messages) lines.push(`- ${k.kind}: ${m}`);
  }
  return lines.join('\n');
}
