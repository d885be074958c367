import { runFuzzCases } from '@sftpgo/test-utils';
import { expect, it } from 'vitest';
import { runScpCase } from '../fuzz/scp-case.js';

// The fuzzer's own cases, two hundred of a fixed seed: a change that makes
// the engine crash, hang or escape its root on them fails here, before
// anyone runs `pnpm fuzz scp`. A failure prints its case seed; the case
// replays with FUZZ_SEED=<seed> and a count of 1.

const SEED = 20_260_412;

it('runs 200 fuzz cases of a fixed seed without a failure', async () => {
  const outcome = await runFuzzCases('scp', 200, SEED, (r) => runScpCase(r));
  expect(outcome.failures).toBe(0);
});
