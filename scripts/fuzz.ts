/**
 * `pnpm fuzz [target...]`: runs each fuzzer of the workspace in turn, every
 * one bounded, and prints what each tried and found; exits 1 if any failed.
 * Without targets, all of them run. Each runs from the sources (the
 * `@sftpgo/source` condition) with its default case count; FUZZ_SEED
 * replays a run, and FUZZ_SCALE (default 1) multiplies every count.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface FuzzTarget {
  /** What it feeds, in the summary. */
  readonly feeds: string;
  readonly script: string;
  /** Its default count: SFTP packets for `sftp`, cases for the others. */
  readonly count: number;
}

const TARGETS: Readonly<Record<string, FuzzTarget>> = {
  sftp: {
    feeds: 'SFTP packets, random and damaged, into SFTP sessions',
    script: 'packages/sftp-protocol/fuzz/fuzz-session.ts',
    count: 1_000_000,
  },
  scp: {
    feeds: 'SCP command lines and record streams, sink and source',
    script: 'packages/scp/fuzz/fuzz-scp.ts',
    count: 20_000,
  },
  config: {
    feeds: 'configuration files in every format, and SFTPGO_ variables',
    script: 'packages/config/fuzz/fuzz-config.ts',
    count: 20_000,
  },
  api: {
    feeds: 'REST API requests: JSON bodies, query strings, paths',
    script: 'packages/api/fuzz/fuzz-api.ts',
    count: 20_000,
  },
  'auth-replies': {
    feeds: 'replies of keyboard-interactive and external auth programs',
    script: 'packages/sftpd/fuzz/fuzz-auth-replies.ts',
    count: 3_000,
  },
};

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const scale = Number(process.env.FUZZ_SCALE ?? 1);

const names = process.argv.slice(2);
const unknown = names.filter((n) => !(n in TARGETS));
if (unknown.length > 0 || !(scale > 0)) {
  console.error(
    unknown.length > 0
      ? `fuzz: no target ${unknown.join(', ')}; the targets: ${Object.keys(TARGETS).join(', ')}`
      : 'fuzz: FUZZ_SCALE must be a positive number',
  );
  process.exit(2);
}

/** Runs one fuzzer; its exit code and its last line on stdout, the summary. */
function run(target: FuzzTarget): Promise<{ code: number | null; summary: string }> {
  const count = String(Math.max(1, Math.round(target.count * scale)));
  const child = spawn(TSX, ['--conditions=@sftpgo/source', target.script, count], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk;
    process.stdout.write(chunk);
  });
  return new Promise((resolve) =>
    child.on('close', (code) =>
      resolve({ code, summary: out.trim().split('\n').at(-1) ?? '(no summary)' }),
    ),
  );
}

const results: { name: string; feeds: string; code: number | null; summary: string }[] = [];
for (const name of names.length > 0 ? names : Object.keys(TARGETS)) {
  const target = TARGETS[name]!;
  console.log(`fuzz: ${name}: ${target.feeds}`);
  results.push({ name, feeds: target.feeds, ...(await run(target)) });
}
console.log('\n| target | what it feeds | result | |\n| --- | --- | --- | --- |');
for (const r of results) {
  console.log(`| ${r.name} | ${r.feeds} | ${r.summary} | ${r.code === 0 ? 'passed' : 'FAILED'} |`);
}
process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
