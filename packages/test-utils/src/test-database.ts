import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';

/** A database server that tests may create databases on. */
export type DatabaseServer = 'postgresql' | 'mysql';

const URL_VARIABLES: Record<DatabaseServer, string> = {
  postgresql: 'SFTPGO_TEST_POSTGRES_URL',
  mysql: 'SFTPGO_TEST_MYSQL_URL',
};

/**
 * The URL of the server's test account, from the environment, or why tests
 * on it are skipped. Under CI (CI=true) a missing URL is an error: .ci/run
 * sets both.
 */
export function databaseServerUrl(server: DatabaseServer): { url?: URL; skipReason?: string } {
  const variable = URL_VARIABLES[server];
  const value = process.env[variable];
  if (value) return { url: new URL(value) };
  if (process.env.CI === 'true') throw new Error(`${variable} must be set under CI`);
  return { skipReason: `${variable} is not set` };
}

/** An empty database of its own on a real server, dropped by `drop`. */
export interface TestDatabase {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  drop(): Promise<void>;
}

async function runAdmin(server: DatabaseServer, url: URL, statement: string): Promise<void> {
  if (server === 'postgresql') {
    const client = new pg.Client({ connectionString: url.href });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
    return;
  }
  const conn = await mysql.createConnection(url.href);
  try {
    await conn.query(statement);
  } finally {
    await conn.end();
  }
}

/** Creates a database with a unique name on the server that `url` reaches. */
export async function createTestDatabase(server: DatabaseServer, url: URL): Promise<TestDatabase> {
  const name = `sftpgo_test_${randomBytes(5).toString('hex')}`;
  await runAdmin(server, url, `CREATE DATABASE ${name}`);
  return {
    name,
    host: url.hostname,
    port: Number(url.port),
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    drop: () =>
      runAdmin(
        server,
        url,
        server === 'postgresql'
          ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`
          : `DROP DATABASE IF EXISTS ${name}`,
      ),
  };
}
