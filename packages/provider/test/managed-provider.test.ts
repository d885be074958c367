import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type DataProvider,
  ManagedProvider,
  openMemoryProvider,
  ProviderActions,
  ProviderError,
  type UserInput,
  ValidationError,
} from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const alice: UserInput = {
  username: 'alice',
  password: 'alice-pass',
  home_dir: '/srv/alice',
  permissions: { '/': ['*'] },
};

/** A user without a home dir, for users_base_dir to give one. */
function homeless(username: string, over: Partial<UserInput> = {}): UserInput {
  return { username, password: 'pw', permissions: { '/': ['*'] }, ...over } as UserInput;
}

async function rejection(work: Promise<unknown>): Promise<ProviderError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let logPath: string;
let scriptPath: string;
const opened: DataProvider[] = [];

beforeEach(async () => {
  tmp = await makeTempDir();
  logPath = join(tmp.path, 'actions.log');
  scriptPath = join(tmp.path, 'on-user.sh');
  await writeFile(scriptPath, `#!/bin/sh\necho "$1 $2" >> '${logPath}'\n`);
  await chmod(scriptPath, 0o755);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
  await tmp.remove();
});

/** A memory store, and the managed view of it with a command run on add, update and delete. */
async function managed(manageUsers: boolean, usersBaseDir = '') {
  const store = await openMemoryProvider();
  const actions = new ProviderActions({
    execute_on: ['add', 'update', 'delete'],
    command: scriptPath,
    http_notification_url: '',
  });
  const provider = new ManagedProvider(store, { manageUsers, usersBaseDir, actions });
  opened.push(provider);
  return { store, actions, provider };
}

/** The lines the action script wrote, none when it never ran. */
async function actionLog(): Promise<string[]> {
  const text = await readFile(logPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  return text.split('\n').filter((line) => line !== '');
}

describe('ManagedProvider with manage_users off', () => {
  it('refuses adds, updates and deletes as disabled, naming manage_users', async () => {
    const { store, actions, provider } = await managed(false);
    const stored = await store.addUser(alice);

    for (const work of [
      provider.addUser({ ...alice, username: 'bob' }),
      provider.updateUser(stored.id, { ...alice, home_dir: '/srv/other' }),
      provider.deleteUser(stored.id),
    ]) {
      const err = await rejection(work);
      expect(err.code).toBe('disabled');
      expect(err.message).toContain('manage_users');
    }

    await actions.idle();
    expect(await actionLog()).toEqual([]);
    const users = await provider.listUsers();
    expect(users.map((u) => [u.username, u.home_dir])).toEqual([['alice', '/srv/alice']]);
  });

  it('still reads, upserts and records quota and last login', async () => {
    const { store, provider } = await managed(false);
    const stored = await store.addUser(alice);

    expect((await provider.getUserById(stored.id))?.username).toBe('alice');
    expect((await provider.getUserByUsername('alice'))?.id).toBe(stored.id);
    expect((await provider.listUsers({ username: 'alice' })).length).toBe(1);

    const upserted = await provider.upsertUser({ ...alice, home_dir: '/srv/alice2' });
    expect(upserted.id).toBe(stored.id);
    const external = await provider.upsertUser({ ...alice, username: 'ext' });
    expect(external.username).toBe('ext');

    await provider.updateQuota('alice', { sizeDelta: 1024, filesDelta: 2 });
    await provider.updateLastLogin('alice', 1_700_000_000_000);
    const after = await store.getUserByUsername('alice');
    expect(after).toMatchObject({
      home_dir: '/srv/alice2',
      used_quota_size: 1024,
      used_quota_files: 2,
      last_login: 1_700_000_000_000,
    });
    await expect(provider.checkAvailability()).resolves.toBeUndefined();
  });
});

describe('ManagedProvider users_base_dir', () => {
  it('gives a user without a home dir one named after it under the base dir', async () => {
    const { provider } = await managed(true, '/srv/sftp');
    expect((await provider.addUser(homeless('missing'))).home_dir).toBe('/srv/sftp/missing');
    expect((await provider.addUser(homeless('empty', { home_dir: '' }))).home_dir).toBe(
      '/srv/sftp/empty',
    );
    expect((await provider.upsertUser(homeless('ext'))).home_dir).toBe('/srv/sftp/ext');
  });

  it('fills the home dir of an update too', async () => {
    const { provider } = await managed(true, '/srv/sftp');
    const user = await provider.addUser(alice);
    const renamed = await provider.updateUser(user.id, homeless('alice2', { home_dir: '' }));
    expect(renamed.home_dir).toBe('/srv/sftp/alice2');
  });

  it('keeps a given home dir', async () => {
    const { provider } = await managed(true, '/srv/sftp');
    expect((await provider.addUser(alice)).home_dir).toBe('/srv/alice');
  });

  it('ignores a base dir that is not absolute', async () => {
    const { provider } = await managed(true, 'relative/base');
    const err = await rejection(provider.addUser(homeless('carol')));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain('home_dir');
    expect(await provider.listUsers()).toEqual([]);
  });

  it('refuses a username of ".." instead of giving it the parent of the base dir', async () => {
    const { provider } = await managed(true, '/srv/sftp/users');
    for (const username of ['..', '.']) {
      const err = await rejection(provider.addUser(homeless(username)));
      expect(err, username).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems.join('\n'), username).toMatch(/^username: /m);
      const upsert = await rejection(provider.upsertUser(homeless(username)));
      expect(upsert, username).toBeInstanceOf(ValidationError);
    }
    expect(await provider.listUsers()).toEqual([]);
  });
});

describe('ManagedProvider actions', () => {
  it('runs the command on add, update and delete, in that order', async () => {
    const { actions, provider } = await managed(true);
    const user = await provider.addUser(alice);
    await actions.idle();
    await provider.updateUser(user.id, { ...alice, username: 'alice2' });
    await actions.idle();
    await provider.deleteUser(user.id);
    await actions.idle();
    expect(await actionLog()).toEqual(['add alice', 'update alice2', 'delete alice2']);
  });

  it('has them all run once close() resolves', async () => {
    const { provider } = await managed(true);
    const user = await provider.addUser(alice);
    await provider.updateUser(user.id, { ...alice, home_dir: '/srv/moved' });
    const bob = await provider.addUser({ ...alice, username: 'bob' });
    await provider.deleteUser(bob.id);
    await provider.close();
    expect((await actionLog()).sort()).toEqual([
      'add alice',
      'add bob',
      'delete bob',
      'update alice',
    ]);
  });

  it('does not run it for upserts, quota and last login updates', async () => {
    const { actions, provider } = await managed(true);
    await provider.upsertUser(alice);
    await provider.upsertUser({ ...alice, home_dir: '/srv/elsewhere' });
    await provider.updateQuota('alice', { sizeDelta: 10, filesDelta: 1 });
    await provider.updateQuota('alice', { reset: { size: 0, files: 0 } });
    await provider.updateLastLogin('alice');
    await actions.idle();
    expect(await actionLog()).toEqual([]);

    // the command does run: an add afterwards is the only line
    await provider.addUser({ ...alice, username: 'bob' });
    await actions.idle();
    expect(await actionLog()).toEqual(['add bob']);
  });

  it('runs nothing for a refused add or update, nor for a delete of an unknown id', async () => {
    const { actions, provider } = await managed(true);
    const user = await provider.addUser(alice);
    await actions.idle();

    const unknown = await rejection(provider.deleteUser(user.id + 1000));
    expect(unknown.code).toBe('not-found');
    const duplicate = await rejection(provider.addUser(alice));
    expect(duplicate.code).toBe('conflict');
    const invalid = await rejection(provider.updateUser(user.id, { ...alice, home_dir: 'rel' }));
    expect(invalid).toBeInstanceOf(ValidationError);
    const missing = await rejection(provider.updateUser(user.id + 1000, alice));
    expect(missing.code).toBe('not-found');

    await actions.idle();
    expect(await actionLog()).toEqual(['add alice']);
  });
});
