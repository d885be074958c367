// Turns the server benchmark's runs into tables: the summary against the
// targets, the details of each row, CPU per GiB, the idle sessions and every
// run.
import type { IdleResult } from './idle-sessions.js';
import { median, timeAndRate } from './report.js';
import type { Row, Target } from './server-figures.js';
import type { ServerKey } from './servers.js';

/** Peak RSS of our server during one large transfer, in MiB, at or under which it is met. */
export const RSS_TARGET_MIB = 120;
/** Memory of one idle session of ours, in MiB, at or under which it is met. */
export const IDLE_TARGET_MIB = 1;

/** The timed runs of one row on one server. */
export interface ServerSample {
  readonly seconds: number[];
  /** Server CPU seconds of each run. */
  readonly cpu: number[];
  /** Peak RSS of each run, in KiB: ours, the server process; sshd, its session processes. */
  readonly rssKiB: number[];
}

export interface RowResult {
  readonly row: Pick<Row, 'id' | 'group' | 'label' | 'unit' | 'amount' | 'gib' | 'target'>;
  /** The runs, or why the row could not run on that server. */
  readonly sshd: ServerSample | string;
  readonly ours: ServerSample | string;
}

export interface ServerResults {
  readonly rows: readonly RowResult[];
  readonly idle: Readonly<Record<ServerKey, IdleResult>> | undefined;
}

type Table = { readonly head: string[]; readonly body: string[][] };

const both = (r: RowResult): [ServerSample, ServerSample] | undefined =>
  typeof r.sshd === 'string' || typeof r.ours === 'string' ? undefined : [r.sshd, r.ours];
const x = (n: number) => `${n.toFixed(2)}x`;
const mibOf = (kib: number, digits = 1) => `${(kib / 1024).toFixed(digits)} MiB`;

/** ours ÷ sshd as throughput (above 1, ours is faster), and as server CPU (below 1, ours spends less). */
export function ratios(r: RowResult): { speed: number; cpu: number } | undefined {
  const pair = both(r);
  if (!pair) return undefined;
  const [sshd, ours] = pair;
  return {
    speed: median(sshd.seconds) / median(ours.seconds),
    cpu: median(ours.cpu) / Math.max(median(sshd.cpu), 0.005),
  };
}

function targetText(t: Target, perGiB: boolean): string {
  const parts = [];
  if (t.speed !== undefined) parts.push(`≥ ${t.speed.toFixed(1)}x speed`);
  if (t.cpu !== undefined) parts.push(`≤ ${t.cpu.toFixed(1)}x CPU${perGiB ? ' per GiB' : ''}`);
  return parts.join(', ') || '—';
}

/** Whether a row meets its target: `met`, `MISSED`, `—` without one, `n/a` when not run. */
export function verdict(r: RowResult): string {
  const q = ratios(r);
  const t = r.row.target;
  if (!q) return 'n/a';
  if (t.speed === undefined && t.cpu === undefined) return '—';
  const ok =
    (t.speed === undefined || q.speed >= t.speed) && (t.cpu === undefined || q.cpu <= t.cpu);
  return ok ? 'met' : 'MISSED';
}

function cpuCell(r: RowResult): string {
  const pair = both(r);
  const q = ratios(r);
  if (!pair || !q) return 'n/a';
  const [sshd, ours] = pair.map((s) => median(s.cpu));
  if (r.row.unit === 'logins/s') {
    const ms = (s: number) => ((1000 * s) / r.row.amount).toFixed(1);
    return `${x(q.cpu)} (${ms(ours!)} / ${ms(sshd!)} ms per login)`;
  }
  if (r.row.gib > 0) {
    const g = (s: number) => (s / r.row.gib).toFixed(2);
    return `${x(q.cpu)} (${g(ours!)} / ${g(sshd!)} s per GiB)`;
  }
  return `${x(q.cpu)} (${ours!.toFixed(2)} / ${sshd!.toFixed(2)} s)`;
}

/** Largest peak RSS of ours over the single-stream sftp transfers, in KiB. */
function largePeak(results: ServerResults, key: ServerKey): number | undefined {
  const peaks = results.rows
    .filter((r) => r.row.group === 'large')
    .flatMap((r) => (typeof r[key] === 'string' ? [] : r[key].rssKiB));
  return peaks.length ? Math.max(...peaks) : undefined;
}

/** Growth of the session processes' memory per session served, in KiB. */
export function perSession(idle: IdleResult, what: 'rss' | 'pss'): number {
  return idle.served ? (idle.after[what] - idle.before[what]) / idle.served : Number.NaN;
}

/** The summary: one line per row, then the two memory targets. */
export function summaryTable(results: ServerResults): Table {
  const body = results.rows.map((r) => {
    const q = ratios(r);
    const na = [r.sshd, r.ours].find((s) => typeof s === 'string');
    return [
      r.row.label,
      q ? x(q.speed) : `n/a (${na})`,
      cpuCell(r),
      targetText(r.row.target, r.row.gib > 0),
      verdict(r),
    ];
  });
  const peak = largePeak(results, 'ours');
  const sshdPeak = largePeak(results, 'sshd');
  if (peak !== undefined) {
    body.push([
      'peak RSS during one large sftp transfer',
      `ours ${mibOf(peak)}, sshd ${sshdPeak === undefined ? '?' : mibOf(sshdPeak)} per session`,
      '',
      `≤ ${RSS_TARGET_MIB} MiB`,
      peak / 1024 <= RSS_TARGET_MIB ? 'met' : 'MISSED',
    ]);
  }
  if (results.idle) {
    const { ours, sshd } = results.idle;
    const each = perSession(ours, 'rss');
    const all = ours.served === ours.requested;
    body.push([
      `RSS per idle session, ${ours.requested.toLocaleString('en-US')} sessions`,
      `ours ${mibOf(each, 2)}, sshd ${mibOf(perSession(sshd, 'rss'), 2)}`,
      '',
      `≤ ${IDLE_TARGET_MIB} MiB, all served`,
      all && each / 1024 <= IDLE_TARGET_MIB ? 'met' : 'MISSED',
    ]);
  }
  return {
    head: ['figure', 'ours ÷ sshd speed', 'server CPU ours / sshd', 'target', 'verdict'],
    body,
  };
}

const sampleCell = (r: RowResult, key: ServerKey) => {
  const s = r[key];
  return typeof s === 'string' ? 'n/a' : timeAndRate(s, r.row);
};
const cpuOf = (s: ServerSample | string) => (typeof s === 'string' ? '' : median(s.cpu).toFixed(2));
const rssOf = (s: ServerSample | string) =>
  typeof s === 'string' || s.rssKiB.length === 0 ? '' : mibOf(Math.max(...s.rssKiB));

/** Median time and rate, median server CPU seconds and largest peak RSS of each row. */
export function detailTable(results: ServerResults): Table {
  return {
    head: ['figure', 'sshd', 'ours', 'CPU s sshd', 'CPU s ours', 'RSS sshd', 'RSS ours'],
    body: results.rows.map((r) => [
      r.row.label,
      sampleCell(r, 'sshd'),
      sampleCell(r, 'ours'),
      cpuOf(r.sshd),
      cpuOf(r.ours),
      rssOf(r.sshd),
      rssOf(r.ours),
    ]),
  };
}

/** Server CPU seconds per GiB moved, for the bulk transfers. */
export function cpuPerGiBTable(results: ServerResults): Table {
  const perGiB = (r: RowResult, s: ServerSample | string) =>
    typeof s === 'string' ? 'n/a' : (median(s.cpu) / r.row.gib).toFixed(2);
  return {
    head: ['figure', 'sshd s/GiB', 'ours s/GiB', 'ours ÷ sshd'],
    body: results.rows
      .filter((r) => r.row.gib > 0)
      .map((r) => [
        r.row.label,
        perGiB(r, r.sshd),
        perGiB(r, r.ours),
        ratios(r) ? x(ratios(r)!.cpu) : 'n/a',
      ]),
  };
}

/** The idle sessions of each server. */
export function idleTable(idle: Readonly<Record<ServerKey, IdleResult>>): Table {
  const line = (name: string, i: IdleResult) => [
    name,
    `${i.served.toLocaleString('en-US')} of ${i.requested.toLocaleString('en-US')}`,
    `${i.openSeconds.toFixed(1)} s`,
    `${mibOf(i.before.rss)} → ${mibOf(i.after.rss)}`,
    mibOf(perSession(i, 'rss'), 2),
    mibOf(perSession(i, 'pss'), 2),
  ];
  return {
    head: ['server', 'served', 'time to open', 'RSS before → open', 'RSS/session', 'PSS/session'],
    body: [line('sshd', idle.sshd), line('ours', idle.ours)],
  };
}

/** The timed runs in order, in seconds. */
export function runsTable(results: ServerResults): Table {
  const list = (s: ServerSample | string) =>
    typeof s === 'string' ? 'n/a' : s.seconds.map((v) => v.toFixed(2)).join(', ');
  return {
    head: ['figure', 'sshd', 'ours'],
    body: results.rows.map((r) => [r.row.label, list(r.sshd), list(r.ours)]),
  };
}
