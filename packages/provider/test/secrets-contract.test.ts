// Users on S3 and Google Cloud Storage, through the managed view of every
// data provider: their filesystem round-trips, the S3 secret is stored
// encrypted and kept by updates, the GCS key lives in its file only.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AccountSecrets,
  type DataProvider,
  dumpUsers,
  loadUsers,
  ManagedProvider,
  type S3Config,
  toPublicUser,
  type User,
  type UserInput,
  ValidationError,
} from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DRIVERS, type Store } from './drivers.js';
import { REFERENCE_SECRET } from './reference-secret.js';

const S3: Partial<S3Config> = {
  bucket: 'bucket',
  region: 'eu-west-1',
  access_key: 'AKIA1',
  access_secret: 'plain-secret',
  key_prefix: 'users//alice/./',
  endpoint: 'https://s3.example.com',
  upload_part_size: 8,
  upload_concurrency: 4,
};
const GCS_KEY = '{"type":"service_account","project_id":"p"}';
const base64 = (text: string) => Buffer.from(text).toString('base64');

function s3User(username: string, s3config: Partial<S3Config> = S3): UserInput {
  return {
    username,
    password: 'pw',
    home_dir: `/srv/${username}`,
    permissions: { '/': ['*'] },
    filesystem: { provider: 1, s3config },
  };
}

function gcsUser(username: string, gcsconfig: Record<string, unknown>): UserInput {
  return { ...s3User(username), filesystem: { provider: 2, gcsconfig } as UserInput['filesystem'] };
}

function s3Of(user: User | undefined): S3Config {
  if (user?.filesystem.provider !== 1) throw new Error('not an S3 user');
  return user.filesystem.s3config;
}

async function problemsOf(work: Promise<unknown>): Promise<string> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return (err as ValidationError).problems.join('\n');
}

for (const driver of DRIVERS) {
  describe.skipIf(driver.skipReason !== undefined)(`${driver.name}: S3 and GCS accounts`, () => {
    let store: Store;
    let raw: DataProvider;
    let tmp: Awaited<ReturnType<typeof makeTempDir>>;
    let secrets: AccountSecrets;
    let p: ManagedProvider;

    beforeEach(async () => {
      tmp = await makeTempDir();
      store = await driver.createStore();
      raw = await store.open();
      secrets = new AccountSecrets({
        keyFile: join(tmp.path, 'sftpgo-secrets.key'),
        credentialsDir: join(tmp.path, 'credentials'),
      });
      p = new ManagedProvider(raw, { manageUsers: true, usersBaseDir: '', secrets });
    });

    afterEach(async () => {
      await raw.close().catch(() => undefined);
      await store.drop();
      await tmp.remove();
    });

    it('stores an S3 user with its secret encrypted, and reads it back whole', async () => {
      const added = await p.addUser(s3User('alice'));
      const s3 = s3Of(added);
      expect(s3).toEqual({
        ...S3,
        key_prefix: 'users/alice/',
        access_secret: expect.stringMatching(/^\$aes\$[0-9a-f]+$/),
        storage_class: '',
      });
      expect(await secrets.s3Secret(added)).toBe('plain-secret');
      expect(await p.getUserById(added.id)).toEqual(added);
      expect((await p.listUsers())[0]).toEqual(added);
      // shown as stored, in the reference key order, empty fields left out
      const shown = toPublicUser(added).filesystem;
      expect(JSON.stringify(shown)).toBe(
        JSON.stringify({
          provider: 1,
          s3config: {
            bucket: 'bucket',
            key_prefix: 'users/alice/',
            region: 'eu-west-1',
            access_key: 'AKIA1',
            access_secret: s3.access_secret,
            endpoint: 'https://s3.example.com',
            upload_part_size: 8,
            upload_concurrency: 4,
          },
          gcsconfig: {},
        }),
      );
    });

    it('keeps the stored secret when an update sends it empty, absent or as shown', async () => {
      const added = await p.addUser(s3User('alice'));
      const stored = s3Of(added).access_secret;
      const { access_secret: _absent, ...withoutSecret } = S3;
      for (const s3config of [
        { ...S3, access_secret: '' },
        withoutSecret,
        { ...S3, access_secret: stored },
      ]) {
        const updated = await p.updateUser(added.id, s3User('alice', s3config));
        expect(s3Of(updated).access_secret).toBe(stored);
      }
      const renewed = await p.updateUser(
        added.id,
        s3User('alice', { ...S3, access_secret: 'new' }),
      );
      expect(s3Of(renewed).access_secret).not.toBe(stored);
      expect(await secrets.s3Secret(renewed)).toBe('new');
      // another secret of this server's key is taken as it is
      const other = await secrets.encrypt('other');
      const upserted = await p.upsertUser(s3User('alice', { ...S3, access_secret: other }));
      expect(s3Of(upserted).access_secret).toBe(other);
      // without an access key, the environment's credentials: no secret either
      const cleared = await p.updateUser(
        added.id,
        s3User('alice', { ...S3, access_key: '', access_secret: '' }),
      );
      expect(s3Of(cleared)).toMatchObject({ access_key: '', access_secret: '' });
    });

    it("re-encrypts a secret of the reference server's dumps with this server's key", async () => {
      const dump = {
        users: [{ id: 7, ...s3User('ref', { ...S3, access_secret: REFERENCE_SECRET }) }],
      };
      await loadUsers(p, dump.users as UserInput[], 'add-and-update');
      const loaded = (await p.getUserByUsername('ref')) as User;
      expect(s3Of(loaded).access_secret).toMatch(/^\$aes\$[0-9a-f]+$/);
      expect(await secrets.s3Secret(loaded)).toBe('reference-secret-42');
      // its dump holds the encrypted form only
      const text = JSON.stringify(await dumpUsers(p));
      expect(text).toContain(s3Of(loaded).access_secret);
      expect(text).not.toContain('reference-secret-42');
      expect(text).not.toContain('plain-secret');
    });

    it('hides the key of a secret stored by the reference server, and takes it back as shown', async () => {
      const stored = await raw.addUser(s3User('ref', { ...S3, access_secret: REFERENCE_SECRET }));
      const shown = toPublicUser(stored).filesystem.s3config.access_secret;
      expect(shown).toBe(`$aes$${REFERENCE_SECRET.split('$')[3]}`);
      const updated = await p.updateUser(stored.id, s3User('ref', { ...S3, access_secret: shown }));
      expect(await secrets.s3Secret(updated)).toBe('reference-secret-42');
      expect(s3Of(updated).access_secret.split('$')).toHaveLength(3);
      // one written in plain text by hand is never shown, and encrypted by the next update
      const plain = await raw.addUser(s3User('by-hand'));
      expect(toPublicUser(plain).filesystem.s3config).not.toHaveProperty('access_secret');
      const { access_secret: _none, ...shownConfig } = toPublicUser(plain).filesystem.s3config;
      const encrypted = await p.updateUser(plain.id, s3User('by-hand', shownConfig));
      expect(s3Of(encrypted).access_secret).toMatch(/^\$aes\$/);
      expect(await secrets.s3Secret(encrypted)).toBe('plain-secret');
    });

    it('refuses what it cannot store, naming the field', async () => {
      const foreign = await new AccountSecrets({
        keyFile: join(tmp.path, 'other.key'),
        credentialsDir: tmp.path,
      }).encrypt('x');
      expect(await problemsOf(p.addUser(s3User('a', { ...S3, access_secret: foreign })))).toMatch(
        /access_secret: could not validate s3config: access_secret cannot be decrypted with this server's key/,
      );
      const problems = await problemsOf(
        p.addUser(s3User('a', { key_prefix: '/abs', access_secret: 's', upload_part_size: 1 })),
      );
      for (const expected of [
        'could not validate s3config: bucket cannot be empty',
        'could not validate s3config: region cannot be empty',
        'could not validate s3config: access_key cannot be empty with access_secret not empty',
        'could not validate s3config: key_prefix cannot start with /',
        'upload_part_size must be 0',
      ]) {
        expect(problems).toContain(expected);
      }
      expect(
        await problemsOf(p.addUser(gcsUser('g', { bucket: 'b', credentials: 'not base64!' }))),
      ).toContain('could not validate GCS credentials: not valid base64');
      expect(await problemsOf(p.addUser(gcsUser('g', { bucket: 'b' })))).toContain(
        'could not validate GCS config: invalid credentials',
      );
      const bare = new ManagedProvider(raw, { manageUsers: true, usersBaseDir: '' });
      expect(await problemsOf(bare.addUser(s3User('a')))).toContain(
        'filesystem.provider: S3 is not available',
      );
      expect(await p.listUsers()).toEqual([]);
    });

    it('writes the GCS key to its file only, moves it with the user and removes it with it', async () => {
      const credentialsDir = join(tmp.path, 'credentials');
      const added = await p.addUser(
        gcsUser('gina', {
          bucket: 'g',
          key_prefix: 'in',
          credentials: base64(GCS_KEY),
          storage_class: 'NEARLINE',
        }),
      );
      expect(added.filesystem).toEqual({
        provider: 2,
        gcsconfig: {
          bucket: 'g',
          key_prefix: 'in/',
          automatic_credentials: 0,
          storage_class: 'NEARLINE',
        },
      });
      const file = secrets.gcsCredentialsPath('gina');
      expect(await readFile(file, 'utf8')).toBe(GCS_KEY);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(credentialsDir)).mode & 0o777).toBe(0o700);
      expect(await secrets.gcsCredentials(added)).toBe(GCS_KEY);
      expect(JSON.stringify(await p.getUserById(added.id))).not.toContain(base64(GCS_KEY));
      expect(JSON.stringify(await dumpUsers(p))).not.toContain('credentials');

      // updated without the key: the stored one, moved to the new name
      const renamed = await p.updateUser(added.id, gcsUser('gina2', { bucket: 'g2' }));
      expect(await secrets.gcsCredentials(renamed)).toBe(GCS_KEY);
      expect(await readdir(credentialsDir)).toEqual(['gina2_gcs_credentials.json']);
      // a refused write leaves no file behind
      await p.addUser(s3User('taken'));
      await expect(
        p.addUser(gcsUser('taken', { bucket: 'g', credentials: base64(GCS_KEY) })),
      ).rejects.toMatchObject({ code: 'conflict' });
      expect(await readdir(credentialsDir)).toEqual(['gina2_gcs_credentials.json']);

      await p.deleteUser(added.id);
      expect(await readdir(credentialsDir)).toEqual([]);
      const automatic = await p.addUser(gcsUser('auto', { bucket: 'g', automatic_credentials: 1 }));
      expect(await secrets.gcsCredentials(automatic)).toBeUndefined();
    });

    it('refuses a GCS user whose key file name would be too long, and deletes any long-named user', async () => {
      // 255 characters: a valid username, whose key file name would pass NAME_MAX
      const long = 'g'.repeat(255);
      const problems = await problemsOf(
        p.addUser({
          ...gcsUser(long, { bucket: 'g', credentials: base64(GCS_KEY) }),
          home_dir: '/srv/long',
        }),
      );
      expect(problems).toMatch(/^username: too long for a user of Google Cloud Storage/);
      // a home dir longer than the SQL schemas' column is refused as invalid, on every driver
      expect(await problemsOf(p.addUser({ ...s3User('h'), home_dir: `/${'h'.repeat(300)}` }))).toBe(
        'home_dir: must be at most 255 characters',
      );
      expect(await p.getUserByUsername(long)).toBeUndefined();
      // with the credentials directory there, a local user of that name comes and goes
      await p.addUser(gcsUser('gina', { bucket: 'g', credentials: base64(GCS_KEY) }));
      const local = await p.addUser({
        ...s3User(long),
        home_dir: '/srv/long',
        filesystem: { provider: 0 },
      });
      await p.deleteUser(local.id);
      expect(await p.getUserByUsername(long)).toBeUndefined();
    });

    it('takes a key file already there, and drops it when the user leaves GCS', async () => {
      const staged = await secrets.stageGcsCredentials('restored', GCS_KEY);
      await staged.commit();
      const restored = await p.addUser(gcsUser('restored', { bucket: 'g' }));
      expect(await secrets.gcsCredentials(restored)).toBe(GCS_KEY);
      await p.updateUser(restored.id, s3User('restored'));
      expect(await secrets.hasGcsCredentials('restored')).toBe(false);
    });
  });
}
