import { youngGenerationSizeGiven } from './node-flags.js';
import { type CollectGarbage, v8CollectGarbage } from './v8-gc.js';

/** Bytes received between two collections of the young generation. */
export const YOUNG_COLLECTION_BYTES = 4 * 1024 * 1024;

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
  const collect = collectWith ?? v8CollectGarbage();
  let counted = 0;
  return (bytes) => {
    counted += bytes;
    if (counted < YOUNG_COLLECTION_BYTES) return;
    counted = 0;
    collect({ type: 'minor' });
  };
}
