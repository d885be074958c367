// The storage flags of `sftpgo api users add|update`: the names of the
// reference server's portable mode, made into the `filesystem` of a user.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { describe, expect, it } from 'vitest';
import { UsageError, userFromFlags } from '../src/api-client/index.js';
import { runApiCli } from './fixtures/api-cli.js';

/** Runs `sftpgo api ...args` against a server that answers `{"id": 1}`, recording the bodies sent. */
async function run(args: string[]) {
  const sent: unknown[] = [];
  let stderr = '';
  let code = 0;
  await runApiCli(['api', ...args], {
    env: {},
    fetch: (async (_url: string | URL | Request, init?: RequestInit) => {
      if (typeof init?.body === 'string') sent.push(JSON.parse(init.body));
      return Response.json({ id: 1 });
    }) as typeof fetch,
    out: () => {},
    err: (text) => {
      stderr += text;
    },
    setExitCode: (c) => {
      code = c;
    },
    readFile: (path) => readFile(path, 'utf8'),
    now: () => 0,
  });
  return { sent, stderr, code };
}

describe('storage flags', () => {
  it('make an S3 or GCS filesystem of the flags given only', () => {
    expect(
      userFromFlags({
        'fs-provider': '1',
        's3-bucket': 'b',
        's3-region': 'eu-west-1',
        's3-access-key': 'AK',
        's3-access-secret': 'SK',
        's3-endpoint': 'http://127.0.0.1:9000',
        's3-storage-class': 'STANDARD',
        's3-key-prefix': 'users/a/',
        's3-upload-part-size': '16',
        's3-upload-concurrency': '4',
      }),
    ).toEqual({
      filesystem: {
        provider: 1,
        s3config: {
          bucket: 'b',
          region: 'eu-west-1',
          access_key: 'AK',
          access_secret: 'SK',
          endpoint: 'http://127.0.0.1:9000',
          storage_class: 'STANDARD',
          key_prefix: 'users/a/',
          upload_part_size: 16,
          upload_concurrency: 4,
        },
      },
    });
    expect(
      userFromFlags(
        { 'gcs-bucket': 'g', 'gcs-automatic-credentials': '0', 'gcs-key-prefix': '' },
        '{"type":"service_account"}',
      ),
    ).toEqual({
      filesystem: {
        gcsconfig: {
          bucket: 'g',
          key_prefix: '',
          automatic_credentials: 0,
          credentials: Buffer.from('{"type":"service_account"}').toString('base64'),
        },
      },
    });
    expect(userFromFlags({ 'fs-provider': '0' })).toEqual({ filesystem: { provider: 0 } });
    expect(userFromFlags({ username: 'u' })).toEqual({ username: 'u' });
  });

  it('refuses malformed values as usage errors', () => {
    expect(() => userFromFlags({ 'fs-provider': '3' })).toThrow(UsageError);
    expect(() => userFromFlags({ 'gcs-automatic-credentials': 'yes' })).toThrow(
      '--gcs-automatic-credentials: expected 0 or 1, got "yes"',
    );
    expect(() => userFromFlags({ 's3-upload-concurrency': '65' })).toThrow(UsageError);
  });
});

describe('sftpgo api users with storage flags', () => {
  it('sends the GCS key file read, base64-encoded', async () => {
    const tmp = await makeTempDir();
    try {
      const keyFile = join(tmp.path, 'key.json');
      await writeFile(keyFile, '{"type":"service_account"}');
      const added = await run([
        'users',
        'add',
        '--username',
        'g',
        '--fs-provider',
        '2',
        '--gcs-bucket',
        'bucket',
        '--gcs-credentials-file',
        keyFile,
      ]);
      expect(added.code).toBe(0);
      expect(added.sent).toEqual([
        {
          status: 1,
          username: 'g',
          filesystem: {
            provider: 2,
            gcsconfig: {
              bucket: 'bucket',
              credentials: Buffer.from('{"type":"service_account"}').toString('base64'),
            },
          },
        },
      ]);
      const missing = await run(['users', 'update', '1', '--gcs-credentials-file', `${keyFile}.x`]);
      expect(missing.code).toBe(1);
      expect(missing.sent).toEqual([]);
    } finally {
      await tmp.remove();
    }
  });

  it('updates the storage flags given only; refuses an add without the provider', async () => {
    const updated = await run(['users', 'update', '3', '--s3-access-secret', 'rotated']);
    expect(updated.sent).toEqual([{ filesystem: { s3config: { access_secret: 'rotated' } } }]);
    const add = await run(['users', 'add', '--username', 'u', '--s3-bucket', 'b']);
    expect(add.code).toBe(2);
    expect(add.stderr).toContain('need --fs-provider 1 (S3) or 2 (GCS)');
    expect(add.sent).toEqual([]);
  });
});
