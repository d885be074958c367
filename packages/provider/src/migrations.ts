import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const SCRIPT_NAME = /^(\d{8})\.sql$/;

/** A schema migration script: `YYYYMMDD.sql`, applied in name order. */
export interface MigrationScript {
  readonly version: string;
  readonly sql: string;
}

/**
 * The migration scripts in `dir`, sorted. Each script records its own version
 * in `schema_migrations`, so that applying them by hand counts too.
 */
export async function readMigrations(dir: string): Promise<MigrationScript[]> {
  const names = (await readdir(dir)).filter((n) => SCRIPT_NAME.test(n)).sort();
  return Promise.all(
    names.map(async (name) => ({
      version: name.slice(0, 8),
      sql: await readFile(join(dir, name), 'utf8'),
    })),
  );
}
