// Users on S3 and Google Cloud Storage through the REST API: the S3 secret
// is never shown in plain text and survives updates that send it back, the
// GCS key is write-only, and backups carry neither in plain text.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AccountSecrets,
  type DataProvider,
  ManagedProvider,
  openSqliteProvider,
  type PublicUser,
  type User,
} from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiBody, type listen, listenWithBackups, migrationsDir, send } from './helpers.js';

/** `dumped-by-reference` as SFTPGo 0.9.6 stores it: its key inside, `$aes$<key>$<data>`. */
const REFERENCE_DUMPED_SECRET =
  '$aes$ef1ceb5429f925d00bd36c53f91d096e$89ead5805f9d5cbf162375dcabcf685771a56153349c24ca186f87a22fad7887d36481855e4f0334912554382b2f43';
const GCS_KEY = '{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----"}';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let store: DataProvider;
let secrets: AccountSecrets;
let backups: string;
let api: Awaited<ReturnType<typeof listen>>;
const internalErrors: unknown[] = [];

beforeAll(async () => {
  tmp = await makeTempDir();
  backups = join(tmp.path, 'backups');
  store = await openSqliteProvider({ path: join(tmp.path, 'api.db'), migrationsDir });
  secrets = new AccountSecrets({
    keyFile: join(tmp.path, 'sftpgo-secrets.key'),
    credentialsDir: join(tmp.path, 'credentials'),
  });
  const provider = new ManagedProvider(store, { manageUsers: true, usersBaseDir: '', secrets });
  api = await listenWithBackups(provider, backups, internalErrors);
});

afterAll(async () => {
  await api.close();
  await store.close();
  await tmp.remove();
  expect(internalErrors).toEqual([]);
});

const s3config = {
  bucket: 'sftp',
  region: 'us-east-1',
  access_key: 'AKIAEXAMPLE',
  access_secret: 'wJalrXUtnFEMI-plain',
  endpoint: 'http://127.0.0.1:9000',
};

function userOf(username: string, filesystem: object) {
  return {
    username,
    status: 1,
    password: 'pw',
    home_dir: `/srv/${username}`,
    permissions: { '/': ['*'] },
    filesystem,
  };
}

async function getUser(id: number): Promise<{ text: string; user: PublicUser }> {
  const text = await (await fetch(`${api.base}/user/${id}`)).text();
  return { text, user: JSON.parse(text) as PublicUser };
}

async function added(body: object): Promise<PublicUser> {
  const res = await send('POST', `${api.base}/user`, body);
  expect(res.status).toBe(200);
  return (await res.json()) as PublicUser;
}

async function storedSecret(id: number): Promise<string> {
  return secrets.s3Secret((await store.getUserById(id)) as User);
}

describe('S3 users over the REST API', () => {
  it('answers a POST with the secret encrypted, and never shows it in plain text', async () => {
    const user = await added(userOf('s3-post', { provider: 1, s3config }));
    expect(user.filesystem).toEqual({
      provider: 1,
      s3config: { ...s3config, access_secret: expect.stringMatching(/^\$aes\$[0-9a-f]+$/) },
      gcsconfig: {},
    });
    const { text, user: got } = await getUser(user.id);
    expect(got).toEqual(user);
    expect(text).not.toContain(s3config.access_secret);
    const list = await (await fetch(`${api.base}/user?username=s3-post`)).text();
    expect(list).not.toContain(s3config.access_secret);
    expect(await storedSecret(user.id)).toBe(s3config.access_secret);
  });

  it('keeps the secret on a PUT of the user as shown, or with an empty or absent secret', async () => {
    const user = await added(userOf('s3-put', { provider: 1, s3config }));
    const shown = user.filesystem.s3config.access_secret;

    const echo = await send('PUT', `${api.base}/user/${user.id}`, { ...user, max_sessions: 2 });
    expect(((await echo.json()) as ApiBody).message).toBe('User updated');
    const updates = [
      { filesystem: { provider: 1, s3config: { ...s3config, access_secret: '' } } },
      { filesystem: { s3config: { bucket: 'other' } } },
      { filesystem: { provider: 1, s3config: { access_secret: null } } },
    ];
    for (const body of updates) {
      const res = await send('PUT', `${api.base}/user/${user.id}`, body);
      expect(res.status).toBe(200);
    }
    const { user: got } = await getUser(user.id);
    expect(got.max_sessions).toBe(2);
    expect(got.filesystem.s3config).toMatchObject({ bucket: 'other', region: 'us-east-1' });
    expect(got.filesystem.s3config.access_secret).toBe(shown);
    expect(await storedSecret(user.id)).toBe(s3config.access_secret);

    await send('PUT', `${api.base}/user/${user.id}`, {
      filesystem: { s3config: { access_secret: 'rotated' } },
    });
    expect(await storedSecret(user.id)).toBe('rotated');
  });

  it('replaces the config of a user moved to another provider', async () => {
    const user = await added(userOf('s3-moved', { provider: 1, s3config }));
    const res = await send('PUT', `${api.base}/user/${user.id}`, {
      filesystem: { provider: 2, gcsconfig: { bucket: 'gcs-bucket', automatic_credentials: 1 } },
    });
    expect(res.status).toBe(200);
    expect((await getUser(user.id)).user.filesystem).toEqual({
      provider: 2,
      s3config: {},
      gcsconfig: { bucket: 'gcs-bucket', automatic_credentials: 1 },
    });
  });

  it('answers 400 with the reference texts for an invalid config', async () => {
    const res = await send('POST', `${api.base}/user`, userOf('s3-bad', { provider: 1 }));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as ApiBody;
    expect(error).toMatch(/^Validation error: /);
    expect(error).toContain('could not validate s3config: bucket cannot be empty');
    expect(error).toContain('could not validate s3config: region cannot be empty');
  });
});

describe('GCS users over the REST API', () => {
  it('stores the key in its file, never returns it, and removes it with the user', async () => {
    const credentials = Buffer.from(GCS_KEY).toString('base64');
    const user = await added(
      userOf('gcs-user', { provider: 2, gcsconfig: { bucket: 'g', credentials } }),
    );
    expect(user.filesystem).toEqual({ provider: 2, s3config: {}, gcsconfig: { bucket: 'g' } });
    const file = secrets.gcsCredentialsPath('gcs-user');
    expect(await readFile(file, 'utf8')).toBe(GCS_KEY);
    const { text } = await getUser(user.id);
    expect(text).not.toContain(credentials);
    expect(text).not.toContain('private_key');

    const bad = await send('PUT', `${api.base}/user/${user.id}`, {
      filesystem: { gcsconfig: { credentials: 'not base64' } },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ApiBody).error).toContain('could not validate GCS credentials');
    expect(await readFile(file, 'utf8')).toBe(GCS_KEY);

    expect((await send('DELETE', `${api.base}/user/${user.id}`)).status).toBe(200);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('backups of S3 and GCS users', () => {
  it('dumps neither a GCS key nor a plain secret', async () => {
    const credentials = Buffer.from(GCS_KEY).toString('base64');
    await added(userOf('dump-gcs', { provider: 2, gcsconfig: { bucket: 'g', credentials } }));
    await added(userOf('dump-s3', { provider: 1, s3config }));
    const res = await fetch(`${api.base}/dumpdata?output_file=secrets.json`);
    expect(res.status).toBe(200);
    const text = await readFile(join(backups, 'secrets.json'), 'utf8');
    expect(text).not.toContain('"credentials"');
    expect(text).not.toContain('private_key');
    expect(text).not.toContain(s3config.access_secret);
    const users = (JSON.parse(text) as { users: PublicUser[] }).users;
    const s3 = users.find((u) => u.username === 'dump-s3');
    expect(s3?.filesystem.s3config.access_secret).toMatch(/^\$aes\$[0-9a-f]+$/);
  });

  it("loads a reference server's dump, its secret encrypted again with this server's key", async () => {
    const dump = {
      users: [
        {
          ...userOf('from-reference', {
            provider: 1,
            s3config: { ...s3config, access_secret: REFERENCE_DUMPED_SECRET },
            gcsconfig: {},
          }),
          id: 42,
          password: '$2a$10$abcdefghijklmnopqrstuuQ5mfsU.Gj3ZYT7cMr0zVvZaHq3cSiOS',
        },
      ],
    };
    const file = join(backups, 'reference.json');
    await writeFile(file, JSON.stringify(dump));
    const res = await fetch(`${api.base}/loaddata?input_file=${encodeURIComponent(file)}`);
    expect(((await res.json()) as ApiBody).message).toBe('Data restored');
    const stored = (await store.getUserByUsername('from-reference')) as User;
    expect(await secrets.s3Secret(stored)).toBe('dumped-by-reference');
    const { text } = await getUser(stored.id);
    expect(text).not.toContain(REFERENCE_DUMPED_SECRET.split('$')[2]);
    expect(text).not.toContain('dumped-by-reference');
  });
});
