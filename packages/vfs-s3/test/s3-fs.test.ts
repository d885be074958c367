import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { freePort, makeTempDir } from '@sftpgo/test-utils';
import { S3Fs } from '@sftpgo/vfs-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeFsContract } from '../../vfs/test/fs-contract.js';
import { describeObjectStore } from '../../vfs/test/object-store-contract.js';
import { type S3Server, startS3rver } from './s3rver-process.js';

let server: S3Server | undefined;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let storages = 0;

beforeAll(async () => {
  tmp = await makeTempDir();
  server = await startS3rver(tmp.path, ['contract', 'objects']);
});

afterAll(async () => {
  await server?.stop();
  await tmp?.remove();
});

const credentials = { accessKey: 'S3RVER', accessSecret: 'S3RVER' };

// each storage is a key prefix of its own in one bucket: the prefix confines it
describeFsContract('S3 (s3rver)', async () => ({
  fs: new S3Fs({
    bucket: 'contract',
    endpoint: server!.endpoint,
    ...credentials,
    keyPrefix: `storage-${++storages}/`,
  }),
  dispose: async () => {},
}));

describeObjectStore('S3 (s3rver)', () => {
  const options = { bucket: 'objects', endpoint: server!.endpoint, ...credentials };
  return {
    open: (o) => new S3Fs({ ...options, ...o }),
    secrets: ['S3RVER'],
    async keys() {
      const client = S3Fs.client(options);
      const keys: string[] = [];
      for (let token: string | undefined, more = true; more; ) {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: 'objects', ContinuationToken: token }),
        );
        keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
        token = page.NextContinuationToken;
        more = Boolean(page.IsTruncated && token);
      }
      return keys;
    },
  };
});

it('says when the storage cannot be reached, naming no endpoint', async () => {
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    maxAttempts: 1,
  });
  const fs = new S3Fs({ bucket: 'b', client });
  await expect(fs.checkBucket()).rejects.toThrow(
    'open "/": the storage cannot be reached (ECONNREFUSED)',
  );
  client.destroy();
});
