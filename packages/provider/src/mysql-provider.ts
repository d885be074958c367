import { Kysely, MysqlDialect } from 'kysely';
import { loadDriverModule } from './driver-module.js';
import { ProviderError } from './errors.js';
import { applyMigrations, type MigrationOptions, type MigrationTarget } from './migrations.js';
import { SqlProvider, unavailable } from './sql-provider.js';
import type { Database } from './sql-rows.js';
import {
  type MysqlConnection,
  mysqlConnection,
  type SqlServerSettings,
} from './sql-server-settings.js';
import { TableNamePlugin } from './table-name-plugin.js';

export interface MysqlProviderOptions extends MigrationOptions {
  readonly server: SqlServerSettings;
  /** The table of users; `users` by default. */
  readonly usersTable?: string;
}

const CONNECT_TIMEOUT_MS = 10_000;
const ER_DUP_ENTRY = 1062;
const ER_NO_SUCH_TABLE = 1146;
/** Denied on a database, a table, or for an operation that needs a privilege. */
const ACCESS_DENIED = new Set([1044, 1142, 1227]);

type Mysql2 = typeof import('mysql2');
type Mysql2Promise = typeof import('mysql2/promise');
type ConnectionOptions = import('mysql2').ConnectionOptions;

function errno(err: unknown): number | undefined {
  return (err as { errno?: number }).errno;
}

interface ScriptConnection {
  query(sql: string): Promise<[unknown, unknown]>;
}

function migrationTarget(conn: ScriptConnection): MigrationTarget {
  return {
    async appliedVersions() {
      try {
        const [rows] = await conn.query('SELECT version FROM schema_migrations');
        return new Set((rows as { version: string }[]).map((r) => r.version));
      } catch (err) {
        if (errno(err) === ER_NO_SUCH_TABLE) return new Set();
        throw err;
      }
    },
    async runScript(source) {
      await conn.query(source);
    },
    isPermissionDenied: (err) => ACCESS_DENIED.has(errno(err) ?? 0),
    async withLock(fn) {
      await conn.query(`SELECT GET_LOCK('sftpgo schema', 60)`);
      try {
        return await fn();
      } finally {
        await conn.query(`SELECT RELEASE_LOCK('sftpgo schema')`);
      }
    },
  };
}

/** Driver options for `connection`; TLS `preferred` is settled by trying it once. */
async function driverOptions(
  mysql: Mysql2Promise,
  connection: MysqlConnection,
): Promise<ConnectionOptions> {
  const { tls, ...rest } = connection;
  const base: ConnectionOptions = { ...rest, connectTimeout: CONNECT_TIMEOUT_MS };
  if (tls === false) return base;
  if (tls !== 'preferred') return { ...base, ssl: tls };
  const withTls = { ...base, ssl: { rejectUnauthorized: false } };
  try {
    await (await mysql.createConnection(withTls)).end();
    return withTls;
  } catch (err) {
    if (/secure connection|SSL|TLS/i.test((err as Error).message)) return base;
    throw err;
  }
}

/**
 * Connects a pool to a MySQL or MariaDB server and applies the missing
 * schema scripts. A connection lost later is replaced at the next query:
 * while the server is away, each request fails with an `unavailable` error.
 */
export async function openMysqlProvider(options: MysqlProviderOptions): Promise<SqlProvider> {
  const load = <T>(module: () => Promise<T>) => loadDriverModule('mysql', 'mysql2', module);
  const mysqlPromise = (await load(() => import('mysql2/promise')))
    .default as unknown as Mysql2Promise;
  const mysql = (await load(() => import('mysql2'))).default as unknown as Mysql2;
  let connection: ConnectionOptions;
  try {
    connection = await driverOptions(mysqlPromise, mysqlConnection(options.server));
    const scripts = await mysqlPromise.createConnection({
      ...connection,
      multipleStatements: true,
    });
    try {
      await applyMigrations(migrationTarget(scripts), options, 'mysql');
    } finally {
      await scripts.end().catch(() => undefined);
    }
  } catch (err) {
    throw err instanceof ProviderError ? err : unavailable(err);
  }
  const pool = mysql.createPool({
    ...connection,
    connectionLimit: options.server.poolSize || 10,
    // an UPDATE reports the rows it matched, even those left unchanged
    flags: ['FOUND_ROWS'],
  });
  const kysely = new Kysely<Database>({
    dialect: new MysqlDialect({ pool }),
    plugins: [new TableNamePlugin('users', options.usersTable ?? 'users')],
  });
  return new SqlProvider(kysely, {
    isUniqueViolation: (err) => errno(err) === ER_DUP_ENTRY,
    returningId: false,
  });
}
