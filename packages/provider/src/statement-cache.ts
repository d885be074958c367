import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * `db` as kysely's SQLite dialect sees it, keeping the statements it
 * prepares. kysely prepares every query it runs, and preparing one costs
 * more than running it: each upload's quota change would pay it. Sharing a
 * statement is safe because better-sqlite3 runs nothing else on a connection
 * while a statement of it is iterated. The `limit` statements used last are
 * kept.
 */
export function cachingStatements(db: SqliteDatabase, limit = 100): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    prepare(sql) {
      let statement = statements.get(sql);
      // the most recently used last, so that the first is the one to drop
      if (statement) statements.delete(sql);
      else statement = db.prepare(sql);
      statements.set(sql, statement);
      if (statements.size > limit) statements.delete(statements.keys().next().value as string);
      return statement;
    },
    close() {
      statements.clear();
      db.close();
    },
  };
}
