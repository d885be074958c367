import { Kysely, SqliteDialect } from 'kysely';
import { loadDriverModule } from './driver-module.js';
import { ProviderError } from './errors.js';
import { applyMigrations, type MigrationOptions, type MigrationTarget } from './migrations.js';
import { SqlProvider } from './sql-provider.js';
import type { Database } from './sql-rows.js';
import { cachingStatements } from './statement-cache.js';
import { TableNamePlugin } from './table-name-plugin.js';

export interface SqliteProviderOptions extends MigrationOptions {
  /** The database file; created when missing. */
  readonly path: string;
  /** The table of users; `users` by default. */
  readonly usersTable?: string;
  /**
   * When a commit waits for the disk (SQLite's `synchronous`): `NORMAL` by
   * default. In WAL mode a commit is then in the log, which a killed process
   * leaves for the next one, but the log is synced only at checkpoints, so a
   * power loss or an operating system crash may take back the last commits
   * (never half of one). `FULL` syncs the log at every commit: each quota
   * change of an upload then waits for the disk.
   */
  readonly synchronous?: SqliteSynchronous;
}

/** SQLite's `synchronous` levels, from none to the most syncs. */
export const SQLITE_SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;
export type SqliteSynchronous = (typeof SQLITE_SYNCHRONOUS)[number];

/** The subset of better-sqlite3 that opening needs. */
interface SqliteConnection {
  exec(source: string): unknown;
  prepare(source: string): { all(): unknown[] };
  pragma(source: string): unknown;
  readonly inTransaction: boolean;
  close(): unknown;
}

async function loadDriver(): Promise<new (path: string) => SqliteConnection> {
  const module = await loadDriverModule('sqlite', 'better-sqlite3', () => import('better-sqlite3'));
  return module.default as unknown as new (
    path: string,
  ) => SqliteConnection;
}

function migrationTarget(db: SqliteConnection): MigrationTarget {
  return {
    async appliedVersions() {
      const table = db
        .prepare(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`,
        )
        .all();
      if (table.length === 0) return new Set();
      const rows = db.prepare('SELECT version FROM schema_migrations').all() as {
        version: string;
      }[];
      return new Set(rows.map((r) => r.version));
    },
    async runScript(source) {
      try {
        db.exec(source);
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    },
    isPermissionDenied: (err) =>
      /^SQLITE_(READONLY|PERM|AUTH)/.test(String((err as { code?: string }).code)),
    // The scripts' own transactions, with the busy timeout, serialise two servers.
    withLock: (fn) => fn(),
  };
}

/**
 * Opens (creating it if needed) an SQLite database in WAL mode and applies
 * the missing schema migrations.
 *
 * @example
 * const provider = await openSqliteProvider({ path: 'sftpgo.db', migrationsDir: 'sql/sqlite' });
 */
export async function openSqliteProvider(options: SqliteProviderOptions): Promise<SqlProvider> {
  const synchronous = options.synchronous ?? 'NORMAL';
  // checked before the file is opened, or created, and before it reaches a pragma
  if (!SQLITE_SYNCHRONOUS.includes(synchronous)) {
    throw new ProviderError(
      'validation',
      `synchronous ${JSON.stringify(synchronous)}: give one of ${SQLITE_SYNCHRONOUS.join(', ')}`,
    );
  }
  const Driver = await loadDriver();
  let db: SqliteConnection;
  try {
    db = new Driver(options.path);
  } catch (err) {
    throw new ProviderError(
      'unavailable',
      `cannot open the SQLite database ${JSON.stringify(options.path)}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('busy_timeout = 5000');
    await applyMigrations(migrationTarget(db), options, 'sqlite');
  } catch (err) {
    db.close();
    throw err;
  }
  const kysely = new Kysely<Database>({
    dialect: new SqliteDialect({ database: cachingStatements(db as never) }),
    plugins: [new TableNamePlugin('users', options.usersTable ?? 'users')],
  });
  const provider = new SqlProvider(kysely, {
    isUniqueViolation: (err) => (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE',
    returningId: false,
  });
  // kysely takes the connection at its first query, and closes only a connection
  // it took: one query now makes `close` close the file in every case.
  await provider.checkAvailability();
  return provider;
}
