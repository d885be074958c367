import { Storage } from '@google-cloud/storage';
import { freePort } from '@sftpgo/test-utils';
import { GcsFs } from '@sftpgo/vfs-gcs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeFsContract } from '../../vfs/test/fs-contract.js';
import { describeObjectStore } from '../../vfs/test/object-store-contract.js';
import { type GcsServer, startGcsServer } from './gcs-server.js';

let server: GcsServer | undefined;
let storages = 0;

beforeAll(async () => {
  server = await startGcsServer(['contract', 'objects']);
});

afterAll(() => server?.close());

// each storage is a key prefix of its own in one bucket: the prefix confines it
describeFsContract('Google Cloud Storage (JSON API server)', async () => ({
  fs: new GcsFs({
    bucket: 'contract',
    apiEndpoint: server!.endpoint,
    keyPrefix: `storage-${++storages}/`,
    uploadChunkSize: 1,
  }),
  dispose: async () => {},
}));

describeObjectStore('Google Cloud Storage (JSON API server)', () => ({
  open: (o) =>
    new GcsFs({ bucket: 'objects', apiEndpoint: server!.endpoint, uploadChunkSize: 1, ...o }),
  secrets: [],
  keys: async () => [...server!.objects('objects').keys()],
}));

it('says when the storage cannot be reached, naming no endpoint', async () => {
  const storage = new Storage({
    apiEndpoint: `http://127.0.0.1:${await freePort()}`,
    projectId: 'p',
    retryOptions: { autoRetry: false },
  });
  const fs = new GcsFs({ bucket: 'b', storage });
  await expect(fs.checkBucket()).rejects.toThrow(
    'open "/": the storage cannot be reached (ECONNREFUSED)',
  );
});
