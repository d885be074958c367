import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at the size it starts with (1 MiB per
 * semi-space on 64-bit) for the life of the process.
 *
 * V8 doubles the young generation, up to 16 MiB per semi-space, as soon as
 * much of it survives collections, which loading a server's code does, and
 * gives it back only after tens of seconds of idleness. Kept small, a
 * process holds some 25 MiB less, for collections that run more often:
 * docs/performance-server.md has both measured. The growth factor is read
 * each time V8 would grow the space, so unlike the maximum size it can be
 * set once the process runs; but Node compiles every module that a module
 * imports before it runs any of them, and the space grows while it
 * compiles. So an entry imports this module first and loads the rest of
 * its code with a dynamic import (see cli.ts). Whoever runs node with a
 * setting of the young generation of their own keeps it.
 */
function keepYoungGenerationSmall(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''];
  if (given.some((arg) => arg.includes('semi-space'))) return;
  setFlagsFromString('--semi-space-growth-factor=1');
}

keepYoungGenerationSmall();
