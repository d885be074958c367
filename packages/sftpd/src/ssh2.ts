import type { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Ssh2 from 'ssh2';
import { pooledRandomFill } from './pooled-random-fill.js';

const require = createRequire(import.meta.url);

/**
 * ssh2, loaded with the padding of the packets it sends drawn from a pool of
 * random bytes (see {@link pooledRandomFill}): one call to Node's
 * `randomFillSync` per packet was 4 to 7% of the server's busy time on small
 * files. ssh2 takes the function from `crypto` as it loads, so the pooled one
 * stands in only for that moment and the rest of the process keeps Node's.
 * Were ssh2 already loaded by the application, it keeps the function it took.
 */
function loadSsh2(): typeof Ssh2 {
  const crypto = require('node:crypto') as { randomFillSync: typeof randomFillSync };
  const original = crypto.randomFillSync;
  crypto.randomFillSync = pooledRandomFill(original);
  try {
    return require('ssh2') as typeof Ssh2;
  } finally {
    crypto.randomFillSync = original;
  }
}

export const ssh2 = loadSsh2();
