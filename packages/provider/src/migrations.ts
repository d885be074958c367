import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProviderError } from './errors.js';
import { type SqlDriver, schemaScriptsDir } from './schema-scripts.js';

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
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => SCRIPT_NAME.test(n)).sort();
  } catch (err) {
    throw new ProviderError(
      'unavailable',
      `cannot read the schema scripts in ${JSON.stringify(dir)}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return Promise.all(
    names.map(async (name) => ({
      version: name.slice(0, 8),
      sql: await readFile(join(dir, name), 'utf8'),
    })),
  );
}

/** A schema script that could not be applied. */
export class MigrationError extends ProviderError {
  override readonly name = 'MigrationError';
  readonly version: string;
  /** The database user may not change the schema: someone who may has to apply it. */
  readonly permissionDenied: boolean;

  constructor(version: string, permissionDenied: boolean, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const hint = permissionDenied
      ? ' (the database user may not change the schema: run `sftpgo initprovider` as one who may)'
      : '';
    super('unavailable', `schema script ${version}.sql failed: ${reason}${hint}`, { cause });
    this.version = version;
    this.permissionDenied = permissionDenied;
  }
}

/** What a database needs so that the schema scripts can be applied to it. */
export interface MigrationTarget {
  /** The versions recorded in `schema_migrations`; none when the table is missing. */
  appliedVersions(): Promise<ReadonlySet<string>>;
  /** Runs one whole script, statements separated by `;`. */
  runScript(sql: string): Promise<void>;
  /** Whether an error of `runScript` means missing privileges. */
  isPermissionDenied(err: unknown): boolean;
  /** Runs `fn` while holding a lock that other servers starting at once also take. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
}

/** How opening a SQL provider treats the schema. */
export interface MigrationOptions {
  /**
   * The folder of `YYYYMMDD.sql` scripts for this database; by default the
   * scripts that come with the package (see {@link schemaScriptsDir}).
   */
  readonly migrationsDir?: string;
  /** Told of each script as it is applied. */
  readonly onApplied?: (version: string) => void;
  /**
   * When given, a script refused for lack of privileges is reported here and
   * the provider opens with the schema as it is (a read-only account over a
   * prepared database); otherwise opening fails.
   */
  readonly onPermissionDenied?: (err: MigrationError) => void;
}

/**
 * Applies the scripts of `options.migrationsDir` (the package's scripts of
 * `driver` by default) that `target` has not recorded, in order.
 */
export async function applyMigrations(
  target: MigrationTarget,
  options: MigrationOptions,
  driver: SqlDriver,
): Promise<string[]> {
  const scripts = await readMigrations(options.migrationsDir ?? schemaScriptsDir(driver));
  return target.withLock(async () => {
    const done = await target.appliedVersions();
    const applied: string[] = [];
    for (const script of scripts) {
      if (done.has(script.version)) continue;
      try {
        await target.runScript(script.sql);
      } catch (err) {
        const error = new MigrationError(script.version, target.isPermissionDenied(err), err);
        if (error.permissionDenied && options.onPermissionDenied) {
          options.onPermissionDenied(error);
          return applied;
        }
        throw error;
      }
      applied.push(script.version);
      options.onApplied?.(script.version);
    }
    return applied;
  });
}
