// The storage inputs of the web admin's user form: S3 and Google Cloud
// Storage settings round-trip, and their secrets are never shown again.

import { readFile, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import {
  AccountSecrets,
  type DataProvider,
  ManagedProvider,
  openSqliteProvider,
  type User,
} from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsDir, version } from './helpers.js';
import { Client, closeWeb, listenWeb, userFields } from './web-client.js';

const GCS_KEY = '{\n  "type": "service_account",\n  "private_key_id": "k-42"\n}';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let store: DataProvider;
let secrets: AccountSecrets;
let server: Server | undefined;
let base: string;

beforeAll(async () => {
  tmp = await makeTempDir();
  store = await openSqliteProvider({ path: join(tmp.path, 'web.db'), migrationsDir });
  secrets = new AccountSecrets({
    keyFile: join(tmp.path, 'sftpgo-secrets.key'),
    credentialsDir: join(tmp.path, 'credentials'),
  });
  const provider = new ManagedProvider(store, { manageUsers: true, usersBaseDir: '', secrets });
  ({ server, base } = await listenWeb({ provider, version, web: {} }));
});

afterAll(async () => {
  await closeWeb(server);
  await store.close();
  await tmp.remove();
});

const s3Fields = {
  fs_provider: '1',
  s3_bucket: 'sftp-bucket',
  s3_region: 'eu-central-1',
  s3_access_key: 'AKIAWEB',
  s3_access_secret: 'typed-secret',
  s3_endpoint: 'https://minio.example.com',
  s3_storage_class: 'STANDARD_IA',
  s3_key_prefix: 'users/web',
  s3_upload_part_size: '10',
  s3_upload_concurrency: '3',
};

async function stored(username: string): Promise<User> {
  const user = await store.getUserByUsername(username);
  if (!user) throw new Error(`${username} is missing`);
  return user;
}

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] as string;

describe('web admin: storage of a user', () => {
  it('offers the storages, with password inputs for the secrets', async () => {
    const form = await new Client(base).page('/web/user');
    expect(form).toContain('<legend>S3 settings</legend>');
    expect(form).toContain('<option value="2">Google Cloud Storage</option>');
    expect(form).toMatch(
      /<input type="password" id="s3_access_secret" name="s3_access_secret" value=""/,
    );
    expect(form).toMatch(/<textarea id="gcs_credentials" name="gcs_credentials"[^>]*><\/textarea>/);
  });

  it('adds an S3 user, shows its settings but never its secret, and keeps the secret when left empty', async () => {
    const client = new Client(base);
    const added = await client.post('/web/user', {
      ...userFields('webs3', s3Fields),
      _csrf: await client.token(),
    });
    expect(added.status).toBe(303);
    const user = await stored('webs3');
    expect(user.filesystem).toEqual({
      provider: 1,
      s3config: {
        bucket: 'sftp-bucket',
        key_prefix: 'users/web/',
        region: 'eu-central-1',
        access_key: 'AKIAWEB',
        access_secret: expect.stringMatching(/^\$aes\$/),
        endpoint: 'https://minio.example.com',
        storage_class: 'STANDARD_IA',
        upload_part_size: 10,
        upload_concurrency: 3,
      },
    });
    expect(await secrets.s3Secret(user)).toBe('typed-secret');

    const form = await client.page(`/web/user/${user.id}`);
    expect(form).toContain('<option value="1" selected>');
    expect(form).toContain('value="users/web/"');
    expect(form).toContain('value="10"');
    expect(form).toContain('Leave empty to keep the stored secret');
    expect(form).not.toContain('typed-secret');
    if (user.filesystem.provider !== 1) throw new Error('not S3');
    expect(form).not.toContain(user.filesystem.s3config.access_secret);

    const edited = await client.post(`/web/user/${user.id}`, {
      ...userFields('webs3', { ...s3Fields, s3_access_secret: '', s3_bucket: 'renamed-bucket' }),
      _csrf: csrfOf(form),
    });
    expect(edited.status).toBe(303);
    const after = await stored('webs3');
    expect(after.filesystem).toMatchObject({ s3config: { bucket: 'renamed-bucket' } });
    expect(await secrets.s3Secret(after)).toBe('typed-secret');

    // the key cleared with the secret: the environment's credentials
    const cleared = await client.post(`/web/user/${user.id}`, {
      ...userFields('webs3', { ...s3Fields, s3_access_key: '', s3_access_secret: '' }),
      _csrf: csrfOf(form),
    });
    expect(cleared.status).toBe(303);
    expect((await stored('webs3')).filesystem).toMatchObject({
      s3config: { access_key: '', access_secret: '' },
    });
  });

  it('shows each storage problem next to its input, and asks for the secret again', async () => {
    const client = new Client(base);
    const res = await client.post('/web/user', {
      ...userFields('webbad', { ...s3Fields, s3_region: '', s3_key_prefix: '/abs' }),
      _csrf: await client.token(),
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toMatch(/id="s3_region-error">[\s\S]*region cannot be empty/);
    expect(html).toMatch(/id="s3_key_prefix-error">[\s\S]*key_prefix cannot start with \//);
    expect(html).toContain('<a href="#s3_region">S3 region:');
    expect(html).toContain('The secret typed is not shown again');
    expect(html).not.toContain('typed-secret');
    expect(html).toContain('value="sftp-bucket"');
    expect(await store.getUserByUsername('webbad')).toBeUndefined();
  });

  it('stores a pasted GCS key in its file only, and drops it when the user leaves GCS', async () => {
    const client = new Client(base);
    const added = await client.post('/web/user', {
      ...userFields('webgcs', {
        fs_provider: '2',
        gcs_bucket: 'gcs-bucket',
        gcs_key_prefix: 'in/',
        gcs_credentials: GCS_KEY,
      }),
      _csrf: await client.token(),
    });
    expect(added.status).toBe(303);
    const user = await stored('webgcs');
    const file = secrets.gcsCredentialsPath('webgcs');
    expect(await readFile(file, 'utf8')).toBe(GCS_KEY);
    const form = await client.page(`/web/user/${user.id}`);
    expect(form).toContain('value="gcs-bucket"');
    expect(form).not.toContain('k-42');

    const bad = await client.post(`/web/user/${user.id}`, {
      ...userFields('webgcs', { fs_provider: '2', gcs_bucket: 'g', gcs_credentials: 'not json' }),
      _csrf: csrfOf(form),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(
      /id="gcs_credentials-error">[\s\S]*could not validate GCS credentials/,
    );

    const moved = await client.post(`/web/user/${user.id}`, {
      ...userFields('webgcs', { fs_provider: '0' }),
      _csrf: csrfOf(form),
    });
    expect(moved.status).toBe(303);
    expect((await stored('webgcs')).filesystem).toEqual({ provider: 0 });
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
