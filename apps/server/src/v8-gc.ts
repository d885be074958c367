import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8's `gc()`, as far as it is used here: with no argument it collects the
 * whole heap, with `{ type: 'minor' }` the young generation only. (Node
 * 20's V8 takes any options object for a minor collection:
 * `{ type: 'major' }` collects only the young generation there.)
 */
export type CollectGarbage = (options?: { readonly type: 'minor' }) => void;

let collector: CollectGarbage | undefined;

/** V8's `gc()`: node's own with `--expose-gc`, otherwise from a context made while the flag is on. */
export function v8CollectGarbage(): CollectGarbage {
  collector ??= (globalThis as { gc?: CollectGarbage }).gc ?? gcOfOwnContext();
  return collector;
}

function gcOfOwnContext(): CollectGarbage {
  // V8 installs its gc extension in each context created while the flag is
  // set: one context of our own has it, the program's global never does
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as CollectGarbage;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
