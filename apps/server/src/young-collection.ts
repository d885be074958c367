import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { youngGenerationSizeGiven } from './node-flags.js';

/** Bytes received between two collections of the young generation. */
export const YOUNG_COLLECTION_BYTES = 4 * 1024 * 1024;

/** V8's `gc()`, as far as it is used here. */
export type CollectGarbage = (options: { readonly type: 'minor' }) => void;

/** V8's `gc()`: node's own with `--expose-gc`, otherwise from a context made while the flag is on. */
function collectGarbage(): CollectGarbage {
  const exposed = (globalThis as { gc?: CollectGarbage }).gc;
  if (exposed) return exposed;
  // V8 installs its gc extension in each context created while the flag is
  // set: one context of our own has it, the program's global never does
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as CollectGarbage;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/**
 * A count of the bytes the server receives that collects V8's young
 * generation each time {@link YOUNG_COLLECTION_BYTES} more have come in, for
 * `SftpServer`'s `onBytesReceived`; undefined when node was given a flag for
 * the young generation. `collectWith` stands for V8's `gc()`.
 *
 * What a connection receives lands outside V8's heap: 64 KiB that Node
 * allocates for each read from the socket, and ssh2's copy of a packet that
 * two reads split. That memory is freed only when V8 collects the objects
 * that point to it, and V8 collects by what its own heap allocates, which
 * is little for the data an upload moves: some 18 MiB arrived between two
 * collections of the young generation, and V8 fell back on full
 * collections, started once the memory outside its heap had grown by tens
 * of MiB (13 of them during one 512 MiB upload). Collected every 4 MiB, a
 * server's peak RSS during 512 MiB transfers went from 141 to 157 MiB to 113
 * to 126. Not more often: data a paused channel holds then lives through
 * two collections, which moves it to the old generation, and `scp` uploads
 * peaked at 146 to 160 MiB with a collection every 2 MiB. A collection of
 * the small young generation takes some 50 to 300 µs.
 */
export function youngCollectionByBytes(
  collectWith?: CollectGarbage,
): ((bytes: number) => void) | undefined {
  if (youngGenerationSizeGiven) return undefined;
  const collect = collectWith ?? collectGarbage();
  let counted = 0;
  return (bytes) => {
    counted += bytes;
    if (counted < YOUNG_COLLECTION_BYTES) return;
    counted = 0;
    collect({ type: 'minor' });
  };
}
