import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openDataProvider } from '@sftpgo/provider';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteSettings } from './fixtures/sqlite-settings.js';

const sqlDir = fileURLToPath(new URL('../../../sql/', import.meta.url));

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
  await mkdir(join(tmp.path, 'data'));
});
afterEach(() => tmp.remove());

async function open(connectionString: string) {
  const { provider } = await openDataProvider(sqliteSettings(connectionString), {
    configDir: tmp.path,
    sqlDir,
  });
  await provider.close();
}

describe("the sqlite driver's connection_string", () => {
  it.each([
    ['a path relative to the config dir', 'data/users.db', 'data/users.db'],
    [
      "the reference's own form, file:<path>?cache=shared",
      'file:users.db?cache=shared',
      'users.db',
    ],
    ['a file: URI with an empty authority', 'file:///ABS/users%20db.sqlite', 'users db.sqlite'],
    ['a file: URI of localhost', 'file://localhost/ABS/users.db', 'users.db'],
  ])('is the database file in place of name: %s', async (_, connectionString, file) => {
    await open(connectionString.replace('/ABS', tmp.path));
    expect(existsSync(join(tmp.path, file))).toBe(true);
    expect(existsSync(join(tmp.path, 'sftpgo.db'))).toBe(false);
  });

  it.each([
    ['file:users.db?mode=ro', 'the URI parameter "mode" is not supported'],
    [
      'file:users.db?cache=shared&_journal_mode=WAL',
      'the URI parameter "_journal_mode" is not supported',
    ],
    ['file::memory:', 'it names no file'],
    ['file://db.example.com/users.db', 'host "db.example.com" is not local'],
  ])('refuses %s, saying why', async (connectionString, why) => {
    await expect(open(connectionString)).rejects.toThrow(
      `data_provider.connection_string ${JSON.stringify(connectionString)}: ${why}; give the path of the SQLite file, or a file: URI`,
    );
  });
});

describe('when a commit of the sqlite driver waits for the disk', () => {
  const fixture = fileURLToPath(new URL('fixtures/sqlite-updates.ts', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const UPDATES = 40;

  /** The fsync and fdatasync calls of a process that makes {@link UPDATES} quota changes. */
  async function syncsOf(connectionString: string): Promise<number> {
    const configDir = await mkdtemp(join(tmp.path, 'config-'));
    const trace = join(configDir, 'trace');
    const node = [process.execPath, '--conditions=@sftpgo/source', '--import', tsx, fixture];
    const args = [configDir, sqlDir, connectionString, String(UPDATES)];
    const strace = ['-f', '-qq', '-e', 'trace=fsync,fdatasync', '-o', trace];
    const run = spawnSync('strace', [...strace, ...node, ...args], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const calls = (await readFile(trace, 'utf8')).split('\n');
    return calls.filter((l) => /\bf(data)?sync\(/.test(l)).length;
  }

  it.skipIf(!hasCommand('strace'))(
    'syncs at checkpoints only by default, and at every commit with _synchronous=FULL or _sync=2',
    async () => {
      const full = await syncsOf('file:sftpgo.db?_synchronous=FULL');
      expect(full).toBeGreaterThanOrEqual(UPDATES);
      expect(await syncsOf('file:sftpgo.db?cache=shared&_sync=2')).toBe(full);
      // opening, the user and the checkpoint at the close sync in both
      expect(await syncsOf('')).toBeLessThanOrEqual(full - UPDATES);
    },
    60_000,
  );

  it('refuses a level SQLite does not have, naming those it has', async () => {
    await expect(open('file:users.db?_synchronous=fast')).rejects.toThrow(
      'data_provider.connection_string "file:users.db?_synchronous=fast": "_synchronous" takes OFF (0), NORMAL (1), FULL (2), EXTRA (3), not "fast"',
    );
  });
});
