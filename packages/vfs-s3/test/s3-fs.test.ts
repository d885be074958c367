import { makeTempDir } from '@sftpgo/test-utils';
import { S3Fs } from '@sftpgo/vfs-s3';
import { afterAll, beforeAll } from 'vitest';
import { describeFsContract } from '../../vfs/test/fs-contract.js';
import { type S3Server, startS3rver } from './s3rver-process.js';

let server: S3Server | undefined;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let storages = 0;

beforeAll(async () => {
  tmp = await makeTempDir();
  server = await startS3rver(tmp.path, ['contract']);
});

afterAll(async () => {
  await server?.stop();
  await tmp?.remove();
});

// each storage is a key prefix of its own in one bucket: the prefix confines it
describeFsContract('S3 (s3rver)', async () => ({
  fs: new S3Fs({
    bucket: 'contract',
    endpoint: server!.endpoint,
    accessKey: 'S3RVER',
    accessSecret: 'S3RVER',
    keyPrefix: `storage-${++storages}/`,
  }),
  dispose: async () => {},
}));
