// Benchmarks our SFTP engine against OpenSSH's sftp-server, both driven by the
// OpenSSH sftp client over stdio (`sftp -D`), and writes docs/performance.md.
//   pnpm bench [--runs N] [--warmup N] [--large-mib N] [--timeout S] [--no-docs]
//   pnpm bench --profile DIR   (ours only, under node --cpu-prof, then a summary)
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanUpOnExit, fail, integer, onPath } from './cli-helpers.js';
import { type Figure, figures } from './figures.js';
import { createFixtures, type Fixtures } from './fixtures.js';
import { formatSummary, summarizeFile } from './profile-summary.js';
import {
  type FigureResult,
  markdownReport,
  type RunInfo,
  type Sample,
  textReport,
} from './report.js';
import { debianVersion, gitDescribe, machine, opensshVersion } from './run-info.js';
import { runSftp, stopAllClients } from './sftp-run.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const OUR_SERVER = join(REPO, 'apps/server/dist/sftp-server-stdio.js');
const OPENSSH_SERVER = '/usr/lib/openssh/sftp-server';

interface Options {
  readonly runs: number;
  readonly warmup: number;
  readonly largeBytes: number;
  readonly timeoutMs: number;
  readonly docs: boolean;
  readonly profileDir: string | undefined;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      'large-mib': { type: 'string', default: '1024' },
      timeout: { type: 'string', default: '300' },
      'no-docs': { type: 'boolean', default: false },
      profile: { type: 'string' },
    },
  });
  const largeMib = integer(values['large-mib'], '--large-mib');
  return {
    runs: integer(values.runs, '--runs'),
    warmup: integer(values.warmup, '--warmup', 0),
    largeBytes: largeMib * 1024 * 1024,
    timeoutMs: integer(values.timeout, '--timeout') * 1000,
    // Smaller files than the documented ones must not overwrite the page.
    docs: !values['no-docs'] && values.profile === undefined && largeMib === 1024,
    profileDir: values.profile,
  };
}

function checkPrerequisites(): void {
  if (!existsSync(OPENSSH_SERVER) || !onPath('sftp'))
    fail(`needs ${OPENSSH_SERVER} and sftp: apt-get install openssh-client openssh-sftp-server`);
  if (!existsSync('/usr/bin/time')) fail('needs GNU time (/usr/bin/time): apt-get install time');
  if (!existsSync(OUR_SERVER)) fail(`${OUR_SERVER} is missing: run pnpm build first`);
}

function runInfo(o: Options, loadBefore: number): RunInfo {
  return {
    date: new Date().toISOString().slice(0, 10),
    runs: o.runs,
    warmup: o.warmup,
    node: process.version,
    openssh: `${opensshVersion()} (openssh-sftp-server ${debianVersion('openssh-sftp-server')})`,
    commit: gitDescribe(),
    workDir: tmpdir(),
    load: [loadBefore, loadavg()[0]!],
    machine: machine(),
  };
}

interface Server {
  readonly key: 'openssh' | 'ours';
  readonly command: (root: string) => string[];
}

const SERVERS: readonly Server[] = [
  { key: 'openssh', command: (root) => [OPENSSH_SERVER, '-d', root] },
  { key: 'ours', command: (root) => [process.execPath, OUR_SERVER, '-d', root] },
];

/**
 * One figure, the servers taking turns, every run checked. Warm-up rounds are
 * not timed: the first run after a large write pays for the kernel's page
 * allocation, whichever server it is.
 */
async function measure(figure: Figure, fx: Fixtures, dir: string, o: Options) {
  const batchFile = join(dir, `${figure.id}.batch`);
  let run = 0;
  const samples: Record<Server['key'], Sample> = {
    openssh: { seconds: [], rssKiB: [] },
    ours: { seconds: [], rssKiB: [] },
  };
  for (let round = -o.warmup; round < o.runs; round++) {
    for (const server of SERVERS) {
      const sftp = { server: server.command(fx.serverRoot), batchFile, timeoutMs: o.timeoutMs };
      const n = run++;
      await writeFile(batchFile, figure.batch(n));
      await figure.prepare(n);
      const result = await runSftp({ ...sftp, rssFile: join(dir, 'rss') });
      await figure.verify(n, {
        full: round === -o.warmup,
        captureOutput: async () => (await runSftp({ ...sftp, captureStdout: true })).stdout ?? '',
      });
      const { seconds, rssKiB, stderr } = result;
      const rss = rssKiB === undefined ? '' : `, ${(rssKiB / 1024).toFixed(1)} MiB RSS`;
      const which = round < 0 ? 'warm-up' : `run ${round + 1}/${o.runs}`;
      process.stderr.write(
        `${figure.label}: ${server.key} ${which}: ${seconds.toFixed(2)} s${rss}\n`,
      );
      for (const line of new Set(stderr.split('\n').filter(Boolean)))
        process.stderr.write(`  sftp said: ${line}\n`);
      if (round < 0) continue;
      samples[server.key].seconds.push(seconds);
      if (rssKiB !== undefined) samples[server.key].rssKiB.push(rssKiB);
    }
  }
  const { label, unit, amount } = figure;
  return { label, unit, amount, ...samples } satisfies FigureResult;
}

/**
 * Ours only, under `node --cpu-prof`, once per figure after an unprofiled
 * warm-up run; then the top self times.
 */
async function profile(fx: Fixtures, dir: string, o: Options, profileDir: string) {
  const ours = SERVERS.find((s) => s.key === 'ours')!.command(fx.serverRoot);
  for (const figure of figures(fx)) {
    const batchFile = join(dir, `${figure.id}.batch`);
    const name = `${figure.id}.cpuprofile`;
    const profiled = [
      ours[0]!,
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      `--cpu-prof-name=${name}`,
      ...ours.slice(1),
    ];
    let seconds = 0;
    for (const [run, server] of [ours, profiled].entries()) {
      await writeFile(batchFile, figure.batch(run));
      await figure.prepare(run);
      ({ seconds } = await runSftp({ server, batchFile, timeoutMs: o.timeoutMs }));
      await figure.verify(run, { full: false, captureOutput: async () => '' });
    }
    const title = `${figure.label} (${seconds.toFixed(2)} s, ${join(profileDir, name)})`;
    process.stdout.write(formatSummary(title, await summarizeFile(join(profileDir, name))));
  }
}

async function main(): Promise<void> {
  const o = parseOptions();
  checkPrerequisites();
  const dir = await mkdtemp(join(tmpdir(), 'sftp-bench-'));
  const cleanUp = cleanUpOnExit(() => {
    stopAllClients();
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    process.stderr.write(`bench: writing the files under ${dir}\n`);
    const fx = await createFixtures(dir, {
      bigBytes: o.largeBytes,
      smallCount: 2000,
      smallBytes: 4096,
      listCount: 10_000,
    });
    if (o.profileDir !== undefined) {
      await profile(fx, dir, o, o.profileDir);
      return;
    }
    const loadBefore = loadavg()[0]!;
    const results: FigureResult[] = [];
    for (const figure of figures(fx)) results.push(await measure(figure, fx, dir, o));
    process.stdout.write(`\n${textReport(results)}`);
    if (o.docs) {
      const page = join(REPO, 'docs/performance.md');
      await writeFile(page, markdownReport(results, runInfo(o, loadBefore)));
      process.stdout.write(`\nwrote ${page}\n`);
    }
  } finally {
    cleanUp();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
