import { isAbsolute, join, resolve } from 'node:path';
import type { AccountSecrets } from './account-secrets.js';
import { openBoltProvider } from './bolt-provider.js';
import { ProviderError } from './errors.js';
import { ManagedProvider } from './managed-provider.js';
import { type MemoryProvider, openMemoryProvider } from './memory-provider.js';
import type { MigrationError } from './migrations.js';
import { openMysqlProvider } from './mysql-provider.js';
import { openPostgresProvider } from './postgres-provider.js';
import type { DataProvider } from './provider.js';
import {
  type ActionOutcome,
  ProviderActions,
  type ProviderActionsSettings,
} from './provider-actions.js';
import {
  openSqliteProvider,
  SQLITE_SYNCHRONOUS,
  type SqliteSynchronous,
} from './sqlite-provider.js';

export const DRIVERS = ['sqlite', 'postgresql', 'mysql', 'bolt', 'memory'] as const;
export type Driver = (typeof DRIVERS)[number];

/** The `data_provider` section of the configuration, with the spec's key names. */
export interface DataProviderSettings {
  readonly driver: Driver;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly sslmode: 0 | 1 | 2 | 3;
  readonly connection_string: string;
  readonly users_table: string;
  readonly manage_users: 0 | 1;
  readonly pool_size: number;
  readonly users_base_dir: string;
  readonly actions: ProviderActionsSettings;
}

export interface OpenDataProviderOptions {
  /** Relative file names (`name` of sqlite, bolt and memory) are resolved here. */
  readonly configDir: string;
  /** The folder holding `sqlite/`, `postgresql/` and `mysql/` schema scripts. */
  readonly sqlDir: string;
  readonly onMigrationApplied?: (version: string) => void;
  /** See `MigrationOptions.onPermissionDenied`. */
  readonly onMigrationDenied?: (err: MigrationError) => void;
  readonly onActionOutcome?: (outcome: ActionOutcome) => void;
  /**
   * The secrets of users on S3 and Google Cloud Storage; without it, such
   * users cannot be added or updated.
   */
  readonly secrets?: AccountSecrets;
}

/** An opened data provider: the administrators' view, and the store's own controls. */
export interface OpenedDataProvider {
  readonly provider: DataProvider;
  /**
   * Re-reads what the store loads at start (the memory driver's dump),
   * resolving how many users it holds now; undefined for other drivers.
   */
  reload(): Promise<number | undefined>;
}

function storePath(settings: DataProviderSettings, configDir: string): string {
  return isAbsolute(settings.name) ? settings.name : resolve(configDir, settings.name);
}

/** go-sqlite3's values of `_synchronous` (or `_sync`), by name or number. */
const SYNCHRONOUS_VALUES: ReadonlyMap<string, SqliteSynchronous> = new Map(
  SQLITE_SYNCHRONOUS.flatMap((level, n) => [
    [level, level],
    [String(n), level],
  ]),
);

/**
 * The SQLite file. The reference hands a non-empty `connection_string` to its
 * driver in place of `name`: a path, or a `file:` URI such as its own
 * `file:sftpgo.db?cache=shared`. Relative paths are relative to the config
 * dir, as `name`. go-sqlite3's `_synchronous` (or `_sync`) sets when a commit
 * waits for the disk; other URI parameters that would change how the file is
 * opened (`mode`, `_journal_mode`...) cannot be honoured and are refused.
 */
function sqliteFile(
  settings: DataProviderSettings,
  configDir: string,
): { path: string; synchronous?: SqliteSynchronous } {
  const dsn = settings.connection_string;
  if (dsn === '') return { path: storePath(settings, configDir) };
  const refuse = (why: string) =>
    new ProviderError(
      'validation',
      `data_provider.connection_string ${JSON.stringify(dsn)}: ${why}; give the path of the SQLite file, or a file: URI`,
    );
  if (!dsn.startsWith('file:')) return { path: resolve(configDir, dsn) };
  const queryAt = dsn.indexOf('?');
  const location = dsn.slice('file:'.length, queryAt < 0 ? undefined : queryAt);
  const query = new URLSearchParams(queryAt < 0 ? '' : dsn.slice(queryAt + 1));
  let synchronous: SqliteSynchronous | undefined;
  for (const [key, value] of query) {
    // cache=shared only shares a cache between connections of one process: the provider has one
    if (key === 'cache') continue;
    if (key !== '_synchronous' && key !== '_sync') {
      throw refuse(`the URI parameter "${key}" is not supported`);
    }
    synchronous = SYNCHRONOUS_VALUES.get(value.toUpperCase());
    if (!synchronous) {
      const levels = SQLITE_SYNCHRONOUS.map((level, n) => `${level} (${n})`).join(', ');
      throw refuse(`"${key}" takes ${levels}, not ${JSON.stringify(value)}`);
    }
  }
  let path = decodeURIComponent(location);
  if (path.startsWith('//')) {
    const slash = path.indexOf('/', 2);
    const authority = path.slice(2, slash < 0 ? undefined : slash);
    if (authority !== '' && authority !== 'localhost')
      throw refuse(`host "${authority}" is not local`);
    path = slash < 0 ? '' : path.slice(slash);
  }
  if (path === '' || path === ':memory:') throw refuse('it names no file');
  return { path: resolve(configDir, path), ...(synchronous && { synchronous }) };
}

async function openStore(
  settings: DataProviderSettings,
  options: OpenDataProviderOptions,
): Promise<DataProvider | MemoryProvider> {
  const migrations = {
    migrationsDir: join(options.sqlDir, settings.driver),
    onApplied: options.onMigrationApplied,
    onPermissionDenied: options.onMigrationDenied,
  };
  const server = {
    host: settings.host,
    port: settings.port,
    username: settings.username,
    password: settings.password,
    name: settings.name,
    sslmode: settings.sslmode,
    connectionString: settings.connection_string,
    poolSize: settings.pool_size,
  };
  const usersTable = settings.users_table;
  switch (settings.driver) {
    case 'sqlite':
      return openSqliteProvider({
        ...sqliteFile(settings, options.configDir),
        usersTable,
        ...migrations,
      });
    case 'postgresql':
      return openPostgresProvider({ server, usersTable, ...migrations });
    case 'mysql':
      return openMysqlProvider({ server, usersTable, ...migrations });
    case 'bolt':
      return openBoltProvider({ path: storePath(settings, options.configDir) });
    case 'memory':
      return openMemoryProvider({
        dumpPath: settings.name ? storePath(settings, options.configDir) : undefined,
      });
    default:
      throw new ProviderError(
        'validation',
        `unknown data provider driver ${JSON.stringify(settings.driver)}`,
      );
  }
}

/**
 * Opens the store that `settings` names (applying missing schema scripts to
 * a SQL database) behind the management policy of the settings.
 *
 * @example
 * const { provider } = await openDataProvider(config.data_provider, { configDir: '.', sqlDir: 'sql' });
 */
export async function openDataProvider(
  settings: DataProviderSettings,
  options: OpenDataProviderOptions,
): Promise<OpenedDataProvider> {
  const store = await openStore(settings, options);
  const { actions } = settings;
  const hasActions =
    actions.execute_on.length > 0 &&
    (actions.command !== '' || actions.http_notification_url !== '');
  const provider = new ManagedProvider(store, {
    manageUsers: settings.manage_users === 1,
    usersBaseDir: settings.users_base_dir,
    actions: hasActions
      ? new ProviderActions(actions, { onOutcome: options.onActionOutcome })
      : undefined,
    secrets: options.secrets,
  });
  return {
    provider,
    reload: async () => ('reload' in store ? store.reload() : undefined),
  };
}
