import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { makeTempDir } from '@sftpgo/test-utils';
import { VfsError } from '@sftpgo/vfs';
import { keyPrefixProblem, S3Fs } from '@sftpgo/vfs-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Server, startS3rver } from './s3rver-process.js';

let server: S3Server;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  tmp = await makeTempDir();
  server = await startS3rver(tmp.path, ['objects']);
});

afterAll(async () => {
  await server?.stop();
  await tmp?.remove();
});

const options = () => ({
  bucket: 'objects',
  endpoint: server.endpoint,
  accessKey: 'S3RVER',
  accessSecret: 'S3RVER',
});

/** Every key of the bucket, whoever wrote it. */
async function allKeys(): Promise<string[]> {
  const client = S3Fs.client(options());
  const keys: string[] = [];
  for (let token: string | undefined, more = true; more; ) {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: 'objects', ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
    token = page.NextContinuationToken;
    more = Boolean(page.IsTruncated && token);
  }
  return keys.sort();
}

async function errorOf(op: Promise<unknown>): Promise<VfsError> {
  const err = await op.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VfsError);
  return err as VfsError;
}

describe('S3Fs against an S3 server', () => {
  it('keeps every path below its key prefix, whatever the path holds', async () => {
    const alice = new S3Fs({ ...options(), keyPrefix: 'users/alice/' });
    for (const hostile of ['/../bob/x', '..\\..\\bob\\y', '/a//../../../z', '/./../w']) {
      const handle = await alice.open(hostile, { write: true, create: true, truncate: true });
      await handle.write(Buffer.from('x'), 0, 1, 0);
      await handle.close();
    }
    expect((await allKeys()).filter((k) => !k.startsWith('users/alice/'))).toEqual([]);
    expect(await allKeys()).toEqual(
      expect.arrayContaining([
        'users/alice/bob/x',
        'users/alice/bob/y',
        'users/alice/z',
        'users/alice/w',
      ]),
    );
  });

  it('refuses a key prefix that could reach other keys', () => {
    for (const bad of ['users/alice', '/users/', 'users/../', 'a//b/', 'a\\b/']) {
      expect(keyPrefixProblem(bad), bad).toBeDefined();
      expect(() => new S3Fs({ ...options(), keyPrefix: bad })).toThrow(/key_prefix/);
    }
    expect(keyPrefixProblem('users/alice/')).toBeUndefined();
  });

  it('streams a multipart upload from writes and reads it back with ranged GETs', async () => {
    const fs = new S3Fs({ ...options(), keyPrefix: 'big/', readChunkSize: 1024 * 1024 });
    const data = randomBytes(12 * 1024 * 1024 + 123);
    const up = await fs.open('/data.bin', { write: true, create: true, truncate: true });
    const piece = 32 * 1024;
    const writes: Promise<number>[] = [];
    for (let at = 0; at < data.length; at += piece) {
      writes.push(up.write(data, at, Math.min(piece, data.length - at), at));
    }
    await Promise.all(writes);
    await up.close();
    expect((await fs.stat('/data.bin')).size).toBe(data.length);

    const down = await fs.open('/data.bin', { read: true });
    const back = Buffer.alloc(data.length);
    const reads: Promise<number>[] = [];
    for (let at = 0; at < data.length; at += piece) {
      reads.push(down.read(back, at, Math.min(piece, data.length - at), at));
    }
    expect((await Promise.all(reads)).reduce((a, b) => a + b, 0)).toBe(data.length);
    await down.close();
    expect(back.equals(data)).toBe(true);
  });

  it('fails a write at an unexpected offset, and stores no object', async () => {
    const fs = new S3Fs({ ...options(), keyPrefix: 'order/' });
    const handle = await fs.open('/gap.bin', { write: true, create: true, truncate: true });
    await handle.write(Buffer.alloc(10), 0, 10, 0);
    const gap = await errorOf(handle.write(Buffer.alloc(10), 0, 10, 20));
    expect(gap.code).toBe('unsupported');
    expect(gap.message).toMatch(/offset 20 where 10 was expected/);
    await handle.abort?.();
    expect((await errorOf(fs.stat('/gap.bin'))).code).toBe('not-found');
  });

  it('leaves no object when an upload is abandoned', async () => {
    const fs = new S3Fs({ ...options(), keyPrefix: 'cut/' });
    const handle = await fs.open('/cut.bin', { write: true, create: true, truncate: true });
    await handle.write(randomBytes(6 * 1024 * 1024), 0, 6 * 1024 * 1024, 0);
    await handle.abort?.();
    expect((await errorOf(fs.stat('/cut.bin'))).code).toBe('not-found');
  });

  it('refuses to resume, to append and to read and write one object at once', async () => {
    const fs = new S3Fs({ ...options(), keyPrefix: 'resume/' });
    const handle = await fs.open('/r.bin', { write: true, create: true, truncate: true });
    await handle.write(Buffer.from('part'), 0, 4, 0);
    await handle.close();
    for (const flags of [
      { write: true },
      { write: true, append: true },
      { read: true, write: true },
    ]) {
      expect((await errorOf(fs.open('/r.bin', flags))).code).toBe('unsupported');
    }
  });

  it('names the virtual path in its errors, never the bucket or the key prefix', async () => {
    const fs = new S3Fs({ ...options(), keyPrefix: 'secret-prefix/' });
    const err = await errorOf(fs.stat('/missing.txt'));
    expect(err.message).toBe('stat "/missing.txt": no such file or directory');
    const wrong = new S3Fs({ ...options(), bucket: 'no-such-bucket', keyPrefix: 'secret-prefix/' });
    const failed = await errorOf(wrong.opendir('/'));
    expect(failed.message).not.toMatch(/secret-prefix|no-such-bucket|S3RVER/);
  });
});
