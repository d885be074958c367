import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INLINE_SPAN, InlineDataCalls, inlineLookupsIo, SLOW_IN_A_ROW } from '../src/fs-io.js';

/** The threads of libuv's pool, all of which {@link blockThreadPool} occupies. */
const POOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE ?? 4);

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let release: (() => Promise<void>) | undefined;

beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(async () => {
  await release?.();
  release = undefined;
  await tmp.remove();
});

/**
 * Occupies every thread of the pool with a read of a FIFO that nothing has
 * written to yet; the returned function writes to it and waits for them.
 */
function blockThreadPool(): () => Promise<void> {
  const fifo = join(tmp.path, 'fifo');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  // read and write: opening does not wait for a writer
  const fd = fs.openSync(fifo, fs.constants.O_RDWR);
  const reads = Array.from(
    { length: POOL_SIZE },
    () =>
      new Promise<void>((resolve, reject) =>
        fs.read(fd, Buffer.alloc(1), 0, 1, null, (err) => (err ? reject(err) : resolve())),
      ),
  );
  return async () => {
    fs.writeSync(fd, Buffer.alloc(POOL_SIZE));
    await Promise.all(reads);
    fs.closeSync(fd);
  };
}

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What `call` gives, once it is shown to wait for the pool that {@link blockThreadPool} holds. */
async function afterThePool<T>(call: Promise<T>): Promise<T> {
  expect(await settlesWithin(call, 50)).toBe(false);
  await release?.();
  release = undefined;
  return call;
}

function fileOf(size: number): string {
  const path = join(tmp.path, 'data');
  fs.writeFileSync(path, Buffer.alloc(size, 7));
  return path;
}

describe('inlineLookupsIo', () => {
  it("reads and writes near a file's start without the thread pool, the rest on it", async () => {
    const io = inlineLookupsIo(new InlineDataCalls());
    const fd = await io.open(fileOf(4 * INLINE_SPAN), fs.constants.O_RDWR, 0);
    release = blockThreadPool();
    const buffer = Buffer.alloc(4096);
    // while every thread of the pool is busy
    expect(await settlesWithin(io.read(fd, buffer, 0, 4096, 0), 1_000)).toBe(true);
    expect(await settlesWithin(io.write(fd, buffer, 0, 4096, INLINE_SPAN - 1), 1_000)).toBe(true);
    expect(await afterThePool(io.read(fd, buffer, 0, 4096, 2 * INLINE_SPAN))).toBe(4096);
    await io.close(fd);
  });

  it('sends every read and write to the pool for a while after slow ones in a row', async () => {
    // every call counts as slow
    const io = inlineLookupsIo(new InlineDataCalls(0, 60_000));
    const fd = await io.open(fileOf(4096), fs.constants.O_RDONLY, 0);
    release = blockThreadPool();
    const buffer = Buffer.alloc(4096);
    for (let i = 0; i < SLOW_IN_A_ROW; i++) {
      expect(await settlesWithin(io.read(fd, buffer, 0, 4096, 0), 1_000)).toBe(true);
    }
    expect(await afterThePool(io.read(fd, buffer, 0, 4096, 0))).toBe(4096);
    await io.close(fd);
  });

  it("gives every instance the same functions, so that V8's optimized callers outlive a session", () => {
    const [a, b] = [inlineLookupsIo(new InlineDataCalls()), inlineLookupsIo(new InlineDataCalls())];
    const calls = [
      'open',
      'close',
      'read',
      'write',
      'fstat',
      'stat',
      'lstat',
      'lstatIfAny',
    ] as const;
    for (const call of [...calls, 'realpath', 'readlink'] as const) {
      expect(typeof a[call]).toBe('function');
      expect(a[call], call).toBe(b[call]);
    }
  });

  it('rejects, rather than throws, when an inline call fails', async () => {
    const io = inlineLookupsIo(new InlineDataCalls());
    const fd = await io.open(fileOf(16), fs.constants.O_RDONLY, 0);
    const write = io.write(fd, Buffer.alloc(4), 0, 4, 0);
    await expect(write).rejects.toMatchObject({ code: 'EBADF' });
    await io.close(fd);
  });
});
