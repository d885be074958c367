import { randomFillSync } from 'node:crypto';

type RandomFill = typeof randomFillSync;

/** The largest fill served from the pool: SSH packet padding is 4 to 255 bytes. */
const POOLED_UP_TO = 255;
/** Random bytes drawn from the system at a time. */
const POOL_BYTES = 16 * 1024;

/**
 * A `randomFillSync` that serves small fills from a buffer of random bytes,
 * refilled by `fill` (by default Node's own) 16 KiB at a time. Each byte is
 * handed out once. Larger fills, and any argument form other than a byte
 * array with an in-range offset and size, go to `fill` as they are.
 *
 * Node's call costs about 4 µs whatever its size, and ssh2 makes one for the
 * padding of every packet it sends; OpenSSH draws its padding from a buffered
 * generator too.
 */
export function pooledRandomFill(fill: RandomFill = randomFillSync): RandomFill {
  const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
  let used = POOL_BYTES;
  const pooled = (buffer: NodeJS.ArrayBufferView | ArrayBuffer, offset?: number, size?: number) => {
    if (!(buffer instanceof Uint8Array))
      return fill(buffer as NodeJS.ArrayBufferView, offset, size);
    const start = offset ?? 0;
    const count = size ?? buffer.length - start;
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(count) ||
      start < 0 ||
      count < 0 ||
      count > POOLED_UP_TO ||
      start + count > buffer.length
    ) {
      return fill(buffer, offset, size);
    }
    if (used + count > POOL_BYTES) {
      fill(pool);
      used = 0;
    }
    pool.copy(buffer, start, used, used + count);
    used += count;
    return buffer;
  };
  return pooled as RandomFill;
}
