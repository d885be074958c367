// Benchmarks the whole server, `sftpgo serve`, against OpenSSH's sshd, both
// on 127.0.0.1 and driven by the same OpenSSH clients (sftp, scp -O,
// rsync -e ssh, ssh), and writes docs/performance-server.md.
//   pnpm bench:server [--runs N] [--warmup N] [--large-mib N] [--idle-sessions N]
//                     [--only GROUP,...] [--timeout S] [--quick] [--no-docs] [--profile DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanUpOnExit, fail, integer, onPath } from './cli-helpers.js';
import { type CreateProbe, waitForFastCreates } from './create-probe.js';
import { copyPrefix, createFixtures, type Fixtures } from './fixtures.js';
import { idleSessions } from './idle-sessions.js';
import { machineTicks, PeakRss, waitForNoChildren } from './proc-stats.js';
import { formatSummary, summarizeFile } from './profile-summary.js';
import { debianVersion, gitDescribe, machine, opensshVersion } from './run-info.js';
import {
  DEFAULT_CIPHER,
  GROUPS,
  type Group,
  negotiated,
  type Row,
  type RowContext,
  serverRows,
  sshOptions,
} from './server-figures.js';
import { markdownPage, type ServerRunInfo, textSummary } from './server-page.js';
import type { RowResult, ServerResults, ServerSample } from './server-report.js';
import {
  type ServerKey,
  type ServerUnderTest,
  SSHD,
  startOurs,
  startSshd,
  stopAllServers,
} from './servers.js';
import { stopAllClients } from './sftp-run.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(REPO, 'apps/server/dist/cli.js');
const PAGE = join(REPO, 'docs/performance-server.md');
const DEFAULT_LARGE_MIB = 1024;
const DEFAULT_IDLE = 1000;

interface Options {
  readonly runs: number;
  readonly warmup: number;
  readonly largeMib: number;
  readonly idle: number;
  readonly groups: ReadonlySet<Group>;
  readonly timeoutMs: number;
  readonly quick: boolean;
  readonly docs: boolean;
  /** Where ours writes its CPU profile (`node --cpu-prof`), if it should. */
  readonly profileDir: string | undefined;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      warmup: { type: 'string' },
      'large-mib': { type: 'string' },
      'idle-sessions': { type: 'string' },
      only: { type: 'string' },
      timeout: { type: 'string', default: '600' },
      quick: { type: 'boolean', default: false },
      'no-docs': { type: 'boolean', default: false },
      profile: { type: 'string' },
    },
  });
  const quick = values.quick;
  const only = values.only?.split(',').map((g) => g.trim()) ?? [...GROUPS];
  for (const g of only)
    if (!(GROUPS as readonly string[]).includes(g)) fail(`--only takes ${GROUPS.join(',')}`);
  const o = {
    runs: integer(values.runs ?? (quick ? '1' : '3'), '--runs'),
    warmup: integer(values.warmup ?? (quick ? '0' : '1'), '--warmup', 0),
    largeMib: integer(
      values['large-mib'] ?? (quick ? '64' : `${DEFAULT_LARGE_MIB}`),
      '--large-mib',
    ),
    idle: integer(values['idle-sessions'] ?? (quick ? '50' : `${DEFAULT_IDLE}`), '--idle-sessions'),
    groups: new Set(only as Group[]),
    timeoutMs: integer(values.timeout, '--timeout') * 1000,
    quick,
  };
  // Only a complete run at the documented sizes may rewrite the page.
  const documented =
    !quick && !values.only && o.largeMib === DEFAULT_LARGE_MIB && o.idle === DEFAULT_IDLE;
  const profileDir = values.profile && resolve(values.profile);
  return { ...o, docs: documented && !values['no-docs'] && !profileDir, profileDir };
}

/** Raises the soft limit on open files to the hard one when the idle sessions need more. */
function raiseFileLimit(o: Options): void {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const [soft, hard] = (/^Max open files\s+(\S+)\s+(\S+)/m.exec(limits) ?? []).slice(1);
  const need = (o.groups.has('idle') ? o.idle * 4 : 0) + 1024;
  const value = (s: string | undefined) => (s === 'unlimited' ? Infinity : Number(s));
  if (value(soft) >= need) return;
  if (value(hard) < need)
    fail(`${o.idle} idle sessions need about ${need} open files; ulimit -n allows ${hard}`);
  // Inherited by the servers and clients spawned after this.
  spawnSync('prlimit', [`--pid=${process.pid}`, `--nofile=${hard}:${hard}`]);
}

/** Debian's packages the benchmark runs, each with what shows it is there. */
const PACKAGES: readonly { readonly name: string; readonly present: () => boolean }[] = [
  { name: 'openssh-server', present: () => existsSync(SSHD) },
  {
    name: 'openssh-client',
    present: () => ['ssh', 'sftp', 'scp', 'ssh-keygen'].every((tool) => onPath(tool)),
  },
  { name: 'rsync', present: () => onPath('rsync') },
  // the sandbox that sftpgo runs rsync in
  { name: 'bubblewrap', present: () => onPath('bwrap') },
];

/**
 * Installs the packages that are missing, with apt-get, without starting
 * the system's own sshd on port 22: a `policy-rc.d` that forbids starting
 * services is in place while apt-get runs, unless the machine has one.
 */
function installMissingPackages(): void {
  const missing = PACKAGES.filter((p) => !p.present()).map((p) => p.name);
  if (missing.length === 0) return;
  if (!onPath('apt-get')) fail(`needs the packages ${missing.join(', ')}: install them`);
  process.stderr.write(`bench: installing ${missing.join(', ')} with apt-get\n`);
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const install = spawnSync(
      'apt-get',
      ['install', '-y', '-qq', '--no-install-recommends', ...missing],
      { stdio: 'inherit', env },
    );
    if (install.status !== 0) fail(`apt-get install ${missing.join(' ')} failed`);
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}

function checkPrerequisites(o: Options): void {
  if (process.getuid?.() !== 0) fail('runs a private sshd, which needs root');
  installMissingPackages();
  if (!existsSync(CLI)) fail(`${CLI} is missing: run pnpm build first`);
  raiseFileLimit(o);
}

interface Measured {
  readonly seconds: number;
  readonly cpu: number;
  readonly rssKiB: number;
  /** The share of the machine's CPU time spent busy during the run, clients included. */
  readonly machineBusy: number;
}

/** Runs `work`, timed, with the server's CPU seconds and peak RSS around it. */
async function measured(server: ServerUnderTest, work: () => Promise<void>): Promise<Measured> {
  const cpuBefore = await server.cpuSeconds();
  const machineBefore = await machineTicks();
  const peak = await PeakRss.start(() => server.sessionProcesses());
  const start = performance.now();
  let rssKiB: number;
  try {
    await work();
  } finally {
    rssKiB = await peak.stop();
  }
  const seconds = (performance.now() - start) / 1000;
  const machineAfter = await machineTicks();
  const machineBusy =
    (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total || 1);
  if (!(await server.settle()))
    process.stderr.write(`  ${server.key} still has session processes after 10 s\n`);
  return { seconds, cpu: (await server.cpuSeconds()) - cpuBefore, rssKiB, machineBusy };
}

/** One row, the servers taking turns run by run, every run checked. */
async function measureRow(row: Row, servers: readonly ServerUnderTest[], o: Options) {
  const samples: Partial<Record<ServerKey, ServerSample | string>> = {};
  for (const s of servers) samples[s.key] = row.missing(s) ?? { seconds: [], cpu: [], rssKiB: [] };
  let run = 0;
  for (let round = -o.warmup; round < o.runs; round++) {
    for (const server of servers) {
      const sample = samples[server.key]!;
      if (typeof sample === 'string') continue;
      const n = run++;
      await row.prepare(server, n);
      const m = await measured(server, () => row.run(server, n));
      await row.verify(server, n, round === -o.warmup);
      const which = round < 0 ? 'warm-up' : `run ${round + 1}/${o.runs}`;
      const rss = `${(m.rssKiB / 1024).toFixed(1)} MiB`;
      process.stderr.write(
        `${row.label}: ${server.key} ${which}: ${m.seconds.toFixed(2)} s, CPU ${m.cpu.toFixed(2)} s, RSS ${rss}, machine ${(m.machineBusy * 100).toFixed(0)}% busy\n`,
      );
      if (round < 0) continue;
      sample.seconds.push(m.seconds);
      sample.cpu.push(m.cpu);
      sample.rssKiB.push(m.rssKiB);
    }
  }
  for (const [key, why] of Object.entries(samples))
    if (typeof why === 'string') process.stderr.write(`${row.label}: ${key}: n/a, ${why}\n`);
  return { row, sshd: samples.sshd!, ours: samples.ours! } satisfies RowResult;
}

/** Removes the large files a row left, keeping the originals: 1 GiB each, often in RAM. */
async function removeOutputs(fx: Fixtures): Promise<void> {
  for (const dir of [fx.clientDir, fx.serverRoot]) {
    for (const name of await readdir(dir)) {
      if (name.endsWith('.bin') && name !== 'big.bin' && name !== 'mid.bin')
        await rm(join(dir, name), { force: true });
    }
  }
}

async function idle(servers: readonly ServerUnderTest[], key: string, o: Options) {
  const result = {} as Record<ServerKey, Awaited<ReturnType<typeof idleSessions>>>;
  for (const server of servers) {
    const argv = ['ssh', ...sshOptions(key, DEFAULT_CIPHER), '-p', `${server.port}`, '-T'];
    argv.push('-s', `${server.user}@127.0.0.1`, 'sftp');
    const bound = 60_000 + o.idle * 500;
    const r = await idleSessions(server, argv, o.idle, bound);
    await waitForNoChildren(server.pid, 60_000);
    const each = r.served ? (r.after.rss - r.before.rss) / r.served / 1024 : 0;
    process.stderr.write(
      `idle sessions: ${server.key}: ${r.served} of ${r.requested} served in ${r.openSeconds.toFixed(1)} s, ${each.toFixed(2)} MiB RSS each${r.failure ? `; ${r.failure}` : ''}\n`,
    );
    result[server.key] = r;
  }
  return result;
}

async function main(): Promise<void> {
  const o = parseOptions();
  checkPrerequisites(o);
  const began = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'sftpgo-server-bench-'));
  const servers: ServerUnderTest[] = [];
  const cleanUp = cleanUpOnExit(() => {
    stopAllClients();
    stopAllServers();
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    process.stderr.write(`bench: writing the files under ${dir}\n`);
    const key = join(dir, 'client_key');
    const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    if (keygen.status !== 0) throw new Error(`ssh-keygen: ${keygen.stderr}`);
    const fx = await createFixtures(join(dir, 'files'), {
      bigBytes: o.largeMib * 2 ** 20,
      smallCount: o.quick ? 200 : 2000,
      smallBytes: 4096,
      listCount: o.quick ? 1000 : 10_000,
    });
    const midBytes = Math.min(50, o.largeMib) * 2 ** 20;
    const midDigest = await copyPrefix(
      join(fx.clientDir, 'big.bin'),
      join(fx.serverRoot, 'mid.bin'),
      midBytes,
    );
    servers.push(await startSshd(join(dir, 'sshd'), fx.serverRoot, `${key}.pub`));
    const profiling = o.profileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`, '--cpu-prof-name=sftpgo-serve.cpuprofile']
      : [];
    const publicKey = await readFile(`${key}.pub`, 'utf8');
    servers.push(await startOurs(join(dir, 'ours'), fx.serverRoot, publicKey, profiling));
    const loadBefore = loadavg()[0]!;
    const context: RowContext = {
      fx,
      key,
      dir,
      timeoutMs: o.timeoutMs,
      concurrent: { sessions: 20, bytes: midBytes, digest: midDigest },
      logins: o.quick ? 10 : 50,
    };
    const rows = serverRows(context).filter((r) => o.groups.has(r.group));
    const algorithms: string[] = [];
    for (const s of servers) algorithms.push(`${s.key}: ${await negotiated(context, s)}`);
    // Idle sessions first, while the servers' memory is that of a fresh start.
    const idleResult = o.groups.has('idle') ? await idle(servers, key, o) : undefined;
    const measuredRows: RowResult[] = [];
    let creates: CreateProbe | undefined;
    for (const row of rows) {
      if (row.group === 'small' && !creates) {
        creates = await waitForFastCreates(dir);
        process.stderr.write(
          `bench: creating a file takes ${creates.micros.toFixed(0)} µs in ${dir} (waited ${creates.waitedSeconds.toFixed(0)} s)\n`,
        );
      }
      if (row.group === 'concurrent') {
        // every core: a server of its own with sftpd.workers 0, for this row only
        const spread = await startOurs(join(dir, 'ours-workers'), fx.serverRoot, publicKey, [], 0);
        try {
          const [sshd] = servers;
          measuredRows.push(await measureRow(row, [sshd!, spread], o));
        } finally {
          await spread.stop();
        }
      } else {
        measuredRows.push(await measureRow(row, servers, o));
      }
      await removeOutputs(fx);
    }
    const all: ServerResults = { rows: measuredRows, idle: idleResult };
    const minutes = (performance.now() - began) / 60_000;
    const info: ServerRunInfo = {
      date: new Date().toISOString().slice(0, 10),
      commit: gitDescribe(),
      machine: machine(),
      node: process.version,
      openssh: `${opensshVersion()} (openssh-server ${debianVersion('openssh-server')})`,
      runs: o.runs,
      warmup: o.warmup,
      largeMib: o.largeMib,
      load: [loadBefore, loadavg()[0]!],
      minutes,
      workDir: tmpdir(),
      algorithms,
      creates,
    };
    process.stdout.write(`\n${textSummary(all, info)}`);
    if (o.docs) {
      await writeFile(PAGE, markdownPage(all, info));
      process.stdout.write(`\nwrote ${PAGE}\n`);
    }
  } finally {
    for (const server of servers) await server.stop();
    cleanUp();
  }
  if (o.profileDir) {
    // Written by the server as it exits.
    const file = join(o.profileDir, 'sftpgo-serve.cpuprofile');
    process.stdout.write(`\n${formatSummary(file, await summarizeFile(file), 25)}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
