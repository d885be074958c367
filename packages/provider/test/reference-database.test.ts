// A database whose users table the reference server's own scripts created
// (sql/{sqlite,pgsql}/20190828.sql … 20200116.sql) has no schema_migrations:
// the first start applies our script, which must adopt that table and its users.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPostgresProvider, openSqliteProvider } from '@sftpgo/provider';
import { createTestDatabase, databaseServerUrl, makeTempDir } from '@sftpgo/test-utils';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

const SQL = fileURLToPath(new URL('../../../sql/', import.meta.url));

const REFERENCE_SQLITE = [
  `CREATE TABLE "users" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "username" varchar(255) NOT NULL UNIQUE, "password" varchar(255) NULL, "public_keys" text NULL, "home_dir" varchar(255) NOT NULL, "uid" integer NOT NULL, "gid" integer NOT NULL, "max_sessions" integer NOT NULL, "quota_size" bigint NOT NULL, "quota_files" integer NOT NULL, "permissions" text NOT NULL, "used_quota_size" bigint NOT NULL, "used_quota_files" integer NOT NULL, "last_quota_update" bigint NOT NULL, "upload_bandwidth" integer NOT NULL, "download_bandwidth" integer NOT NULL, "expiration_date" bigint NOT NULL, "last_login" bigint NOT NULL, "status" integer NOT NULL, "filters" text NULL)`,
  `ALTER TABLE "users" ADD COLUMN "filesystem" text NULL`,
];

const REFERENCE_PGSQL = [
  `CREATE TABLE "users" ("id" serial NOT NULL PRIMARY KEY, "username" varchar(255) NOT NULL UNIQUE, "password" varchar(255) NULL, "public_keys" text NULL, "home_dir" varchar(255) NOT NULL, "uid" integer NOT NULL, "gid" integer NOT NULL, "max_sessions" integer NOT NULL, "quota_size" bigint NOT NULL, "quota_files" integer NOT NULL, "permissions" text NOT NULL, "used_quota_size" bigint NOT NULL, "used_quota_files" integer NOT NULL, "last_quota_update" bigint NOT NULL, "upload_bandwidth" integer NOT NULL, "download_bandwidth" integer NOT NULL)`,
  `ALTER TABLE "users" ADD COLUMN "expiration_date" bigint DEFAULT 0 NOT NULL`,
  `ALTER TABLE "users" ALTER COLUMN "expiration_date" DROP DEFAULT`,
  `ALTER TABLE "users" ADD COLUMN "last_login" bigint DEFAULT 0 NOT NULL`,
  `ALTER TABLE "users" ALTER COLUMN "last_login" DROP DEFAULT`,
  `ALTER TABLE "users" ADD COLUMN "status" integer DEFAULT 1 NOT NULL`,
  `ALTER TABLE "users" ALTER COLUMN "status" DROP DEFAULT`,
  `ALTER TABLE "users" ADD COLUMN "filters" text NULL`,
  `ALTER TABLE "users" ADD COLUMN "filesystem" text NULL`,
];

/** A user as the reference server writes it. */
const REFERENCE_USER = `INSERT INTO "users" ("username", "password", "public_keys", "home_dir", "uid", "gid", "max_sessions", "quota_size", "quota_files", "permissions", "used_quota_size", "used_quota_files", "last_quota_update", "upload_bandwidth", "download_bandwidth", "expiration_date", "last_login", "status", "filters", "filesystem") VALUES ('alice', NULL, '[]', '/srv/sftp/alice', 0, 0, 0, 0, 0, '{"/":["*"]}', 1024, 3, 1580000000000, 0, 0, 0, 1580000100000, 1, '{"allowed_ip":[],"denied_ip":[]}', '{"provider":0,"s3config":{},"gcsconfig":{}}')`;

async function expectAdopted(
  open: (onApplied: (v: string) => void) => ReturnType<typeof openSqliteProvider>,
) {
  const applied: string[] = [];
  const provider = await open((v) => applied.push(v));
  try {
    expect(applied).toEqual(['20261128']);
    expect(await provider.getUserByUsername('alice')).toMatchObject({
      id: 1,
      username: 'alice',
      home_dir: '/srv/sftp/alice',
      permissions: { '/': ['*'] },
      used_quota_size: 1024,
      used_quota_files: 3,
      last_login: 1580000100000,
    });
    const bob = await provider.addUser({
      username: 'bob',
      password: 'bob-password',
      home_dir: '/srv/sftp/bob',
      permissions: { '/': ['list'] },
    });
    expect(bob.id).toBe(2);
  } finally {
    await provider.close();
  }
}

describe('a database created by the reference server', () => {
  it('is adopted by the sqlite driver, its users kept', async () => {
    const tmp = await makeTempDir();
    try {
      const path = join(tmp.path, 'sftpgo.db');
      const db = new Database(path);
      for (const statement of [...REFERENCE_SQLITE, REFERENCE_USER]) db.exec(statement);
      db.close();
      await expectAdopted((onApplied) =>
        openSqliteProvider({ path, migrationsDir: join(SQL, 'sqlite'), onApplied }),
      );
    } finally {
      await tmp.remove();
    }
  });

  const { url, skipReason } = databaseServerUrl('postgresql');
  it.skipIf(!url)(
    `is adopted by the postgresql driver from sql/pgsql, its users kept${skipReason ? ` (${skipReason})` : ''}`,
    async () => {
      const db = await createTestDatabase('postgresql', url as URL);
      try {
        const client = new pg.Client({ ...db, database: db.name, user: db.username });
        await client.connect();
        try {
          for (const statement of [...REFERENCE_PGSQL, REFERENCE_USER]) {
            await client.query(statement);
          }
        } finally {
          await client.end();
        }
        await expectAdopted((onApplied) =>
          openPostgresProvider({
            server: db,
            migrationsDir: join(SQL, 'pgsql'),
            onApplied,
          }),
        );
      } finally {
        await db.drop();
      }
    },
  );
});

describe('the PostgreSQL scripts', () => {
  it('are in sql/pgsql, as in the reference server, and the same in sql/postgresql', async () => {
    const read = async (dir: string) => {
      const names = (await readdir(join(SQL, dir))).sort();
      return Promise.all(names.map(async (n) => [n, await readFile(join(SQL, dir, n), 'utf8')]));
    };
    const pgsql = await read('pgsql');
    expect(pgsql.length).toBeGreaterThan(0);
    expect(await read('postgresql')).toEqual(pgsql);
  });
});
