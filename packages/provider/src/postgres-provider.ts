import { Kysely, PostgresDialect } from 'kysely';
import { loadDriverModule } from './driver-module.js';
import { ProviderError } from './errors.js';
import { applyMigrations, type MigrationOptions, type MigrationTarget } from './migrations.js';
import { SqlProvider, unavailable } from './sql-provider.js';
import type { Database } from './sql-rows.js';
import { postgresConnection, type SqlServerSettings } from './sql-server-settings.js';
import { TableNamePlugin } from './table-name-plugin.js';

export interface PostgresProviderOptions extends MigrationOptions {
  readonly server: SqlServerSettings;
  /** The table of users; `users` by default. */
  readonly usersTable?: string;
}

/** How long opening a connection may take before the request fails. */
const CONNECT_TIMEOUT_MS = 10_000;

type PgModule = typeof import('pg');

interface PgClient {
  query(text: string): Promise<{ rows: Record<string, unknown>[] }>;
}

function migrationTarget(client: PgClient): MigrationTarget {
  return {
    async appliedVersions() {
      const found = await client.query(`SELECT to_regclass('schema_migrations') AS t`);
      if (found.rows[0]?.t === null) return new Set();
      const { rows } = await client.query('SELECT version FROM schema_migrations');
      return new Set(rows.map((r) => String(r.version)));
    },
    async runScript(source) {
      try {
        await client.query(source);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
    // insufficient_privilege
    isPermissionDenied: (err) => (err as { code?: string }).code === '42501',
    async withLock(fn) {
      await client.query(`SELECT pg_advisory_lock(hashtext('sftpgo schema'))`);
      try {
        return await fn();
      } finally {
        await client.query(`SELECT pg_advisory_unlock(hashtext('sftpgo schema'))`);
      }
    },
  };
}

/**
 * Connects a pool to a PostgreSQL server and applies the missing schema
 * scripts. A connection lost later is replaced at the next query: while the
 * server is away, each request fails with an `unavailable` error.
 *
 * @example
 * const provider = await openPostgresProvider({
 *   server: { host: '127.0.0.1', port: 5432, name: 'sftpgo', username: 'sftpgo' },
 *   migrationsDir: 'sql/postgresql',
 * });
 */
export async function openPostgresProvider(options: PostgresProviderOptions): Promise<SqlProvider> {
  const pg = (await loadDriverModule('postgresql', 'pg', () => import('pg')))
    .default as unknown as PgModule;
  const connection = {
    ...postgresConnection(options.server),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  };
  const client = new pg.Client(connection);
  try {
    await client.connect();
    await applyMigrations(migrationTarget(client), options, 'postgresql');
  } catch (err) {
    throw err instanceof ProviderError ? err : unavailable(err);
  } finally {
    await client.end().catch(() => undefined);
  }
  const pool = new pg.Pool({ ...connection, max: options.server.poolSize || undefined });
  // A connection that breaks is dropped by the pool and the next query opens a
  // new one; its query, if any, fails on its own. The break is also emitted as
  // an 'error' event, by the pool when the connection is idle and by the
  // connection itself when it was handed out as it broke: unheard, either
  // would end the process.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const kysely = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    plugins: [new TableNamePlugin('users', options.usersTable ?? 'users')],
  });
  return new SqlProvider(kysely, {
    // unique_violation
    isUniqueViolation: (err) => (err as { code?: string }).code === '23505',
    returningId: true,
  });
}
