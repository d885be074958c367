/**
 * Fuzzes the REST API: starts it once on 127.0.0.1 over a real SQLite store
 * in a temp dir, watches a few users, and sends one fuzzed request per case
 * to the API's routes (users, quota scans, connections, dumpdata and
 * loaddata, version, provider status; a method or path it lacks too): valid
 * users slightly wrong, random JSON, damaged bytes, deep nesting, huge
 * strings, wrong content types and encodings, hostile ids and query strings,
 * backup paths leading out of the backups directory. Each answer must come
 * within 10 s, never be a 5xx, have a status the API's document gives for it,
 * and be, when an error, the API's JSON body with its words; the server must
 * still answer (checked every 100 cases); the watched users must change only
 * through an answer that says so (checked after each write); no file outside
 * the backups directory may be read or written; nothing may escape to the
 * process (uncaught exceptions, unhandled rejections). The harness is
 * api-fuzzer.ts, which the smoke test runs too. Run it with `pnpm fuzz api`.
 *
 * Settings: the case count is the first argument or FUZZ_CASES (default
 * 20,000); FUZZ_SEED replays a run, and `FUZZ_SEED=<a failing case's seed>`
 * with a count of 1 replays that case first (on a fresh server: a case that
 * depends on what earlier ones stored may need the whole run).
 * Exits 1 on any failed case; prints `runFuzzCases`'s summary line last.
 */
import { fuzzSettings, runFuzzCases } from '@sftpgo/test-utils';
import { startApiFuzzer } from './api-fuzzer.js';

// Without the condition, the package resolves to a possibly stale dist/.
if (!import.meta.resolve('@sftpgo/api').endsWith('/src/index.ts')) {
  console.error('fuzz: run with --conditions=@sftpgo/source (pnpm fuzz api) to test the sources');
  process.exit(2);
}

const { cases, seed } = fuzzSettings(20_000);
const fuzzer = await startApiFuzzer({ cases });
let failures = 0;
try {
  ({ failures } = await runFuzzCases('api', cases, seed, (r, caseSeed) =>
    fuzzer.runCase(r, caseSeed),
  ));
  // on stderr: the summary stays the last line on stdout, which `pnpm fuzz` reports
  console.error(`fuzz api: what the cases reached:\n${fuzzer.tally()}`);
} finally {
  await fuzzer.close();
}
process.exitCode = failures > 0 ? 1 : 0;
