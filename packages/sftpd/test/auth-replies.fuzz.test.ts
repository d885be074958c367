// A short run of fuzz/fuzz-auth-replies.ts with a fixed seed: the case
// function still runs, and the replies it makes are still handled.
import { makeTempDir, runFuzzCases } from '@sftpgo/test-utils';
import { expect, it } from 'vitest';
import { authReplyCase } from '../fuzz/auth-reply-case.js';

const SEED = 20_250_101;

it('handles 60 hostile replies of authentication programs', async () => {
  const root = await makeTempDir('sftpgo-fuzz-auth-');
  // A short timeout for the programs that never end: the smoke test's time goes to them.
  const fuzzCase = authReplyCase({ root: root.path, hangMs: 300, maxHeapGrowthMiB: 32 });
  try {
    const { failures } = await runFuzzCases('auth-replies', 60, SEED, fuzzCase.run);
    expect(failures).toBe(0);
  } finally {
    expect(fuzzCase.close()).toEqual([]);
    await root.remove();
  }
});
