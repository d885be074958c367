/**
 * Fuzzes the scp engine. Each case feeds a random or damaged command line to
 * parseScpCommand, then runs one transfer with runScp: an upload (`scp -t`:
 * records, data, times and hostile names, sometimes damaged byte by byte) or
 * a download (`scp -f`: the client's answers and garbage), delivered in
 * random chunks to a fast or a slow channel that the client ends, closes or
 * resets, against a fresh root on disk confined by OsFs, as the server's
 * filesystem is. A case fails when parseScpCommand throws or answers out of
 * contract; when runScp does not settle within 5 s or settles out of
 * contract; when an exception or rejection reaches the process; when anything
 * appears next to the root, the sentinel directory beside it changes, or its
 * content reaches the client; when a download changes the root; or when a
 * descriptor is left open. Run it with `pnpm fuzz scp`.
 *
 * Settings: the case count is the first argument or FUZZ_CASES (default
 * 20,000); FUZZ_SEED replays a run, and a failing case's seed as FUZZ_SEED
 * with a count of 1 replays that case alone.
 *
 * Exit status: 1 when any case failed or a fault reached the process after
 * the last case, else 0; 2 when run without the `@sftpgo/source` condition.
 */
import { fuzzSettings, runFuzzCases } from '@sftpgo/test-utils';
import { processFaults, watchProcessFaults } from './process-faults.js';
import { runScpCase } from './scp-case.js';

// The engine is imported from its sources; without the condition, the Fs it
// runs on would come from a possibly stale dist/.
if (!import.meta.resolve('@sftpgo/vfs').endsWith('/src/index.ts')) {
  console.error('fuzz: run with --conditions=@sftpgo/source (pnpm fuzz scp) to test the sources');
  process.exit(2);
}

watchProcessFaults();
const { cases, seed } = fuzzSettings(20_000);
const outcome = await runFuzzCases('scp', cases, seed, (r) => runScpCase(r));
// A fault after the last case belongs to none: let it come, then count it.
await new Promise((resolve) => setTimeout(resolve, 100));
process.exitCode = outcome.failures > 0 || processFaults().count > 0 ? 1 : 0;
