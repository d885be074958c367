import { makeTempDir, runFuzzCases } from '@sftpgo/test-utils';
import { describe, expect, it } from 'vitest';
import { type CaseOutcome, prepareConfigCases, runConfigCase } from '../fuzz/config-case.js';

// A few hundred cases of the configuration fuzzer (pnpm fuzz config), the
// same every run: a change that breaks the loader's contract on odd input
// shows here, before a long fuzzing run.
const SEED = 20_240_601;
const CASES = 300;

describe('the configuration fuzzer', () => {
  it(`finds nothing wrong in ${CASES} cases of seed ${SEED}`, async () => {
    const tmp = await makeTempDir('sftpgo-fuzz-config-');
    try {
      const context = await prepareConfigCases(tmp.path);
      const outcomes: Record<CaseOutcome, number> = { loaded: 0, refused: 0 };
      const { failures } = await runFuzzCases('config', CASES, SEED, async (r) => {
        outcomes[await runConfigCase(r, context)]++;
      });
      expect(failures).toBe(0);
      // Both ends are reached: the cases do not all stop at a parser's error.
      expect(outcomes.loaded).toBeGreaterThan(CASES / 10);
      expect(outcomes.refused).toBeGreaterThan(CASES / 10);
    } finally {
      await tmp.remove();
    }
  });
});
