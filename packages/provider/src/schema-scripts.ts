import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The SQL databases, each with its own schema scripts. */
export type SqlDriver = 'sqlite' | 'postgresql' | 'mysql';

// The scripts are the repository's `sql/<driver>/`: in the published package
// they are its own `sql/` (copied there when it is packed), beside `dist/`;
// in the workspace, run from `src/` or `dist/`, the repository root's.
const CANDIDATES = [new URL('../sql/', import.meta.url), new URL('../../../sql/', import.meta.url)];

/**
 * The folder of the schema scripts (`YYYYMMDD.sql`) of `driver` that come
 * with the package: the default `migrationsDir` of the SQL providers.
 */
export function schemaScriptsDir(driver: SqlDriver): string {
  const found = CANDIDATES.map((base) => new URL(`${driver}/`, base)).find((dir) =>
    existsSync(dir),
  );
  return fileURLToPath(found ?? new URL(`${driver}/`, CANDIDATES[0]));
}
