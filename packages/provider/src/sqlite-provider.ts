import { Kysely, SqliteDialect } from 'kysely';
import { ProviderError } from './errors.js';
import { readMigrations } from './migrations.js';
import { SqlProvider } from './sql-provider.js';
import type { Database } from './sql-rows.js';

export interface SqliteProviderOptions {
  /** The database file; created when missing. */
  readonly path: string;
  /** The folder of `YYYYMMDD.sql` scripts for SQLite. */
  readonly migrationsDir: string;
}

/** The subset of better-sqlite3 that migrations need. */
interface SqliteConnection {
  exec(source: string): unknown;
  prepare(source: string): { all(): unknown[] };
  pragma(source: string): unknown;
  readonly inTransaction: boolean;
  close(): unknown;
}

async function loadDriver(): Promise<new (path: string) => SqliteConnection> {
  try {
    return (await import('better-sqlite3')).default as unknown as new (
      path: string,
    ) => SqliteConnection;
  } catch (err) {
    throw new ProviderError(
      'unavailable',
      `the sqlite driver needs the native module better-sqlite3, which could not be loaded: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function appliedVersions(db: SqliteConnection): Set<string> {
  const table = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`)
    .all();
  if (table.length === 0) return new Set();
  const rows = db.prepare('SELECT version FROM schema_migrations').all() as { version: string }[];
  return new Set(rows.map((r) => r.version));
}

async function migrate(db: SqliteConnection, migrationsDir: string): Promise<void> {
  const applied = appliedVersions(db);
  for (const script of await readMigrations(migrationsDir)) {
    if (applied.has(script.version)) continue;
    try {
      db.exec(script.sql);
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw new ProviderError(
        'unavailable',
        `schema migration ${script.version} failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}

/**
 * Opens (creating it if needed) an SQLite database in WAL mode and applies
 * the missing schema migrations.
 *
 * @example
 * const provider = await openSqliteProvider({ path: 'sftpgo.db', migrationsDir: 'sql/sqlite' });
 */
export async function openSqliteProvider(options: SqliteProviderOptions): Promise<SqlProvider> {
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
    db.pragma('busy_timeout = 5000');
    await migrate(db, options.migrationsDir);
  } catch (err) {
    db.close();
    throw err;
  }
  const kysely = new Kysely<Database>({
    dialect: new SqliteDialect({ database: db as never }),
  });
  return new SqlProvider(
    kysely,
    (err) => (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE',
  );
}
