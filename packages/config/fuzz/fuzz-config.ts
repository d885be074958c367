/**
 * Fuzzes the configuration loader: writes configuration files in every
 * format of CONFIG_EXTENSIONS (the test fixtures made slightly wrong as data
 * or as bytes, hostile `__proto__` and `constructor` keys, noise, long runs
 * of one token, deep nesting, YAML aliases) with SFTPGO_ variables, some of
 * them hostile too, and checks that loadConfig gives a
 * configuration the schema accepts or a ConfigError with a message, within
 * 5 s, without writing a file, polluting a prototype or letting an
 * exception reach the process. Run it with `pnpm fuzz config`.
 *
 * Settings: the case count is the first argument or FUZZ_CASES (default
 * 20,000); FUZZ_SEED replays a run, and a failing case's seed, with a count
 * of 1, replays that case alone. FUZZ_TRACE=1 prints each case's seed before
 * it runs: the way to find the case when V8 itself aborts the process.
 * Exits 1 if any case failed, 2 on bad settings; a case stuck in synchronous
 * code for 10 s is named on stderr and the process killed (SIGKILL), its
 * temp dir removed first.
 */
import { fuzzSettings, makeTempDir, runFuzzCases } from '@sftpgo/test-utils';
import { CASE_LIMIT_MS, prepareConfigCases, runConfigCase } from './config-case.js';
import { catchEscapes } from './escapes.js';
import { startWatchdog } from './watchdog.js';

// Without the condition, the package resolves to a possibly stale dist/.
if (!import.meta.resolve('@sftpgo/config').endsWith('/src/index.ts')) {
  console.error(
    'fuzz config: run with --conditions=@sftpgo/source (pnpm fuzz) to test the sources',
  );
  process.exit(2);
}

const { cases, seed } = fuzzSettings(20_000);
if (!Number.isInteger(cases) || cases < 0 || !Number.isInteger(seed)) {
  console.error('fuzz config: the case count and FUZZ_SEED must be integers');
  process.exit(2);
}

const trace = process.env.FUZZ_TRACE === '1';
const escapes = catchEscapes();
const tmp = await makeTempDir('sftpgo-fuzz-config-');
const watchdog = startWatchdog('config', 2 * CASE_LIMIT_MS, tmp.path);
let failures: number;
try {
  const context = await prepareConfigCases(tmp.path);
  const outcome = await runFuzzCases('config', cases, seed, async (r, caseSeed) => {
    watchdog.caseStarted(caseSeed);
    if (trace) console.error(`fuzz config: case seed ${caseSeed}`);
    try {
      await runConfigCase(r, context);
    } finally {
      // What escaped during the case is its failure, ahead of what its checks found.
      await escapes.check();
    }
  });
  failures = outcome.failures;
} finally {
  await watchdog.stop();
  await tmp.remove();
}

// A rejection that surfaces after the last case still fails the run.
await new Promise((resolve) => setTimeout(resolve, 100));
try {
  await escapes.check();
} catch (err) {
  console.error(`fuzz config: after the cases: ${(err as Error).message}`);
  failures++;
}
escapes.stop();
process.exitCode = failures > 0 ? 1 : 0;
