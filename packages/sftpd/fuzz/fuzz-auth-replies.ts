/**
 * Fuzzes the replies of the programs a login runs: the keyboard-interactive
 * program and the external authentication program. Each case writes what a
 * hostile or broken program would print (valid replies made slightly wrong,
 * random JSON and bytes, several MiB, many questions, no newline) into a
 * file, and a real /bin/sh program prints it, then exits with any status,
 * dies, hangs or floods. `keyboardInteractiveLogin` and `runExternalAuth`
 * must log in only on a valid acceptance of the same user, refuse with a
 * LoginError only, settle within their timeout, keep the heap bounded, leave
 * no process behind, and let no error reach the process. Run it with
 * `pnpm fuzz auth-replies`.
 *
 * Settings: the case count is the first argument or FUZZ_CASES (default
 * 3,000: every case starts a process); FUZZ_SEED replays a run, and a failing
 * case's seed, printed with it, replays that case first; FUZZ_HANG_MS is the
 * timeout given to logins whose program never ends (default 1,000), and
 * FUZZ_MAX_HEAP_GROWTH_MIB how far the heap may climb in one case (default 32).
 * Exits 1 on any failed case.
 */
import { fuzzSettings, makeTempDir, runFuzzCases } from '@sftpgo/test-utils';
import { authReplyCase } from './auth-reply-case.js';

const { cases, seed } = fuzzSettings(3_000);
const root = await makeTempDir('sftpgo-fuzz-auth-');
const fuzzCase = authReplyCase({
  root: root.path,
  hangMs: Number(process.env.FUZZ_HANG_MS ?? 1_000),
  maxHeapGrowthMiB: Number(process.env.FUZZ_MAX_HEAP_GROWTH_MIB ?? 32),
});
try {
  const { failures } = await runFuzzCases('auth-replies', cases, seed, fuzzCase.run);
  // A rejection the last case left behind surfaces after a turn of the event loop.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const late = fuzzCase.close();
  for (const err of late) console.error('fuzz auth-replies: after the last case:', err);
  process.exitCode = failures > 0 || late.length > 0 ? 1 : 0;
} finally {
  fuzzCase.close();
  await root.remove();
}
