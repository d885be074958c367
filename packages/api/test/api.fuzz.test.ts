// A smoke run of the API fuzzer (packages/api/fuzz/fuzz-api.ts, `pnpm fuzz
// api`): the same cases and checks, a few hundred of them with a fixed seed,
// so that a regression the fuzzer would find, or a break in the fuzzer
// itself, shows in `pnpm test`.
import { runFuzzCases } from '@sftpgo/test-utils';
import { expect, it } from 'vitest';
import { startApiFuzzer } from '../fuzz/api-fuzzer.js';

const CASES = 300;
const SEED = 20_260_101;

it(`answers ${CASES} fuzzed requests as documented, and changes only what it acknowledges`, async () => {
  const fuzzer = await startApiFuzzer({ cases: CASES });
  try {
    const outcome = await runFuzzCases('api', CASES, SEED, (r, caseSeed) =>
      fuzzer.runCase(r, caseSeed),
    );
    expect(outcome.failures).toBe(0);
  } finally {
    await fuzzer.close();
  }
}, 15_000);
