import { getHeapStatistics } from 'node:v8';
import { youngGenerationSizeGiven } from './node-flags.js';
import { type CollectGarbage, v8CollectGarbage } from './v8-gc.js';

/** Bytes received between two collections of the young generation. */
export const YOUNG_COLLECTION_BYTES = 4 * 1024 * 1024;
/**
 * Growth of the memory outside V8's heap, from its lowest since the last
 * collection of the whole heap, that calls for another.
 */
export const WHOLE_COLLECTION_EXTERNAL_BYTES = 4 * 1024 * 1024;
/**
 * The least time between two such collections. An `scp` upload moves much
 * of what it receives to the old generation: collected each time that grew
 * by 4 MiB, 1 GiB took 150 collections and 6 s of server CPU, against 2;
 * once a second at most, 2 to 2.4 s, against 1.8 to 2.4 without them.
 */
export const WHOLE_COLLECTION_INTERVAL_MS = 1_000;
/**
 * How long after the last collection by bytes the data is taken to have
 * stopped, and the whole heap is collected if the memory outside it has
 * grown by {@link AFTER_DATA_EXTERNAL_BYTES} since it was last lowest.
 */
export const AFTER_DATA_MS = 1_000;
/** Growth of the memory outside V8's heap that calls for a collection once data stops. */
export const AFTER_DATA_EXTERNAL_BYTES = 1024 * 1024;

/**
 * A count of the bytes the server receives that collects V8's young
 * generation each time {@link YOUNG_COLLECTION_BYTES} more have come in, and
 * the whole heap when the memory outside it keeps growing (below), for
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
 *
 * What lives through two collections all the same (a WRITE's data waiting
 * for the disk, a paused channel's) waits in the old generation for V8 to
 * collect that, which it starts once the memory outside its heap has grown
 * by tens of MiB: after each collection of the young generation, the count
 * also has V8 collect its whole heap once that memory has grown by
 * {@link WHOLE_COLLECTION_EXTERNAL_BYTES} from its lowest since the last
 * such collection, at most once in {@link WHOLE_COLLECTION_INTERVAL_MS}. In
 * two `scp` and two `sftp` uploads of 1 GiB in a row, the peaks went from
 * 119 to 130 MiB without this to 115 to 125 with it, for 25 collections of
 * the whole heap in 326 ms, against 18 in 110 ms.
 *
 * Collected once a second at most, the old generation keeps what an
 * upload's last second moved there, and a download, which receives little,
 * starts no collection: in the server benchmark, the downloads that followed
 * an upload peaked at 120 to 124 MiB, their array buffers at 24 MiB. So
 * the count also collects the whole heap {@link AFTER_DATA_MS} after its
 * last collection by bytes, once the data has stopped, if that memory has
 * grown by {@link AFTER_DATA_EXTERNAL_BYTES} since it was last lowest: those
 * downloads then peaked at 101 to 106 MiB, glibc's heap reusing what the
 * collection freed.
 *
 * `externalMemory` stands for V8's count of that memory.
 */
export function collectionsByBytesReceived(
  collectWith?: CollectGarbage,
  externalMemory: () => number = () => getHeapStatistics().external_memory,
): ((bytes: number) => void) | undefined {
  if (youngGenerationSizeGiven) return undefined;
  const collect = collectWith ?? v8CollectGarbage();
  let counted = 0;
  let floor = externalMemory();
  let lastWhole = Number.NEGATIVE_INFINITY;
  const collectWhole = (now: number) => {
    lastWhole = now;
    collect();
    floor = externalMemory();
  };
  // one timer for the process's life, moved on at each collection by bytes
  let afterData: NodeJS.Timeout | undefined;
  const dataStopped = () => {
    if (externalMemory() - floor >= AFTER_DATA_EXTERNAL_BYTES) collectWhole(performance.now());
  };
  return (bytes) => {
    counted += bytes;
    if (counted < YOUNG_COLLECTION_BYTES) return;
    counted = 0;
    collect({ type: 'minor' });
    afterData ??= setTimeout(dataStopped, AFTER_DATA_MS).unref();
    afterData.refresh();
    const external = externalMemory();
    if (external < floor) floor = external;
    else if (external - floor >= WHOLE_COLLECTION_EXTERNAL_BYTES) {
      const now = performance.now();
      if (now - lastWhole >= WHOLE_COLLECTION_INTERVAL_MS) collectWhole(now);
    }
  };
}
