import { randomBytes } from 'node:crypto';
import { type Fs, type ObjectStoreEvents, ObjectStoreFs, UploadBudget } from '@sftpgo/vfs';
import { describe, expect, it } from 'vitest';
import { errorOf } from './fs-contract.js';

/** How the suite reaches one object store. */
export interface ObjectStoreSubject {
  /** A storage below `keyPrefix` in the store's bucket; `bucket` names another bucket. */
  open(options: {
    keyPrefix: string;
    bucket?: string;
    readChunkSize?: number;
    uploadBudget?: UploadBudget;
    events?: ObjectStoreEvents;
  }): Fs;
  /** Every key of the bucket, whoever wrote it. */
  keys(): Promise<string[]>;
  /** Words that no error message may hold: the bucket, credentials. */
  readonly secrets: readonly string[];
}

/**
 * What an object store's backend does beyond the Fs contract: confinement
 * by key prefix, streamed uploads and ranged reads of large objects, the
 * refusal of anything but front-to-back writes, and no object left by an
 * abandoned upload.
 */
export function describeObjectStore(name: string, subject: () => ObjectStoreSubject): void {
  describe(`object store: ${name}`, () => {
    it('keeps every path below its key prefix, whatever the path holds', async () => {
      const s = subject();
      const alice = s.open({ keyPrefix: 'users/alice/' });
      for (const hostile of ['/../bob/x', '..\\..\\bob\\y', '/a//../../../z', '/./../w']) {
        const handle = await alice.open(hostile, { write: true, create: true, truncate: true });
        await handle.write(Buffer.from('x'), 0, 1, 0);
        await handle.close();
      }
      const keys = await s.keys();
      expect(keys.filter((k) => !k.startsWith('users/alice/'))).toEqual([]);
      expect(keys).toEqual(
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
        expect(() => subject().open({ keyPrefix: bad }), bad).toThrow(/key_prefix/);
      }
    });

    it('streams a large upload from pipelined writes and reads it back by ranges', async () => {
      const fs = subject().open({ keyPrefix: 'big/', readChunkSize: 1024 * 1024 });
      const data = randomBytes(12 * 1024 * 1024 + 123);
      const piece = 32 * 1024;
      const up = await fs.open('/data.bin', { write: true, create: true, truncate: true });
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
      const fs = subject().open({ keyPrefix: 'order/' });
      const handle = await fs.open('/gap.bin', { write: true, create: true, truncate: true });
      await handle.write(Buffer.alloc(10), 0, 10, 0);
      const gap = await errorOf(handle.write(Buffer.alloc(10), 0, 10, 20));
      expect(gap.code).toBe('unsupported');
      expect(gap.message).toMatch(/offset 20 where 10 was expected/);
      await handle.abort?.();
      expect((await errorOf(fs.stat('/gap.bin'))).code).toBe('not-found');
    });

    it('leaves no object when an upload is abandoned', async () => {
      const fs = subject().open({ keyPrefix: 'cut/' });
      const handle = await fs.open('/cut.bin', { write: true, create: true, truncate: true });
      await handle.write(randomBytes(6 * 1024 * 1024), 0, 6 * 1024 * 1024, 0);
      await handle.abort?.();
      expect((await errorOf(fs.stat('/cut.bin'))).code).toBe('not-found');
    });

    it("makes an upload wait while the server's upload memory is spent", async () => {
      // smaller than one upload's share: uploads run one at a time
      const budget = new UploadBudget(1);
      const fs = subject().open({ keyPrefix: 'budget/', uploadBudget: budget });
      const flags = { write: true, create: true, truncate: true };
      const [first, second] = [await fs.open('/1.txt', flags), await fs.open('/2.txt', flags)];
      await first.write(Buffer.from('one'), 0, 3, 0);
      let secondWrote = false;
      const pending = second.write(Buffer.from('two'), 0, 3, 0).then(() => {
        secondWrote = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(secondWrote).toBe(false);
      await first.close();
      await pending;
      await second.close();
      expect(budget.available).toBe(1);
      expect((await fs.stat('/1.txt')).size).toBe(3);
      expect((await fs.stat('/2.txt')).size).toBe(3);
    });

    it('refuses to resume, to append and to read and write one object at once', async () => {
      const fs = subject().open({ keyPrefix: 'resume/' });
      const handle = await fs.open('/r.bin', { write: true, create: true, truncate: true });
      await handle.write(Buffer.from('part'), 0, 4, 0);
      await handle.close();
      const flagSets = [
        { write: true },
        { write: true, append: true },
        { read: true, write: true },
      ];
      for (const flags of flagSets) {
        expect((await errorOf(fs.open('/r.bin', flags))).code).toBe('unsupported');
      }
    });

    it('tells of each transfer and counted call, and checks its bucket', async () => {
      const s = subject();
      const seen: string[] = [];
      const events: ObjectStoreEvents = {
        transfer: (kind, bytes, error) => seen.push(`${kind} ${bytes}${error ? ' failed' : ''}`),
        request: (kind, error) => seen.push(`${kind}${error ? ' failed' : ''}`),
      };
      const fs = s.open({ keyPrefix: 'events/', events });
      expect(fs).toBeInstanceOf(ObjectStoreFs);
      await (fs as ObjectStoreFs).checkBucket();
      const up = await fs.open('/a.txt', { write: true, create: true, truncate: true });
      await up.write(Buffer.from('hello'), 0, 5, 0);
      await up.close();
      const cut = await fs.open('/b.txt', { write: true, create: true, truncate: true });
      await cut.write(Buffer.from('hi'), 0, 2, 0);
      await cut.abort?.();
      const down = await fs.open('/a.txt', { read: true });
      await down.read(Buffer.alloc(10), 0, 10, 0);
      await down.close();
      await fs.rename('/a.txt', '/c.txt');
      const dir = await fs.opendir('/');
      while (await dir.read());
      await dir.close();
      expect(seen).toEqual([
        'head_bucket',
        'upload 5',
        'upload 2 failed',
        'download 5',
        'list_objects',
        'copy_object',
        'delete_object',
        'list_objects',
      ]);
      const missing = s.open({ keyPrefix: 'events/', bucket: 'no-such-bucket', events });
      await expect((missing as ObjectStoreFs).checkBucket()).rejects.toThrow();
      expect(seen.at(-1)).toBe('head_bucket failed');
    });

    it('names the virtual path in its errors, never the bucket or the key prefix', async () => {
      const s = subject();
      const err = await errorOf(s.open({ keyPrefix: 'secret-prefix/' }).stat('/missing.txt'));
      expect(err.message).toBe('stat "/missing.txt": no such file or directory');
      const wrong = s.open({ keyPrefix: 'secret-prefix/', bucket: 'no-such-bucket' });
      const failed = await errorOf(wrong.opendir('/'));
      for (const secret of ['secret-prefix', 'no-such-bucket', ...s.secrets]) {
        expect(failed.message).not.toContain(secret);
      }
    });
  });
}
