export { AccountSecrets, type AccountSecretsOptions } from './account-secrets.js';
export {
  type ActionResult,
  type ActionTarget,
  isHttpUrl,
  runActionCommand,
  runActionTargets,
  sendActionNotification,
} from './action-runner.js';
export { type BoltProviderOptions, openBoltProvider } from './bolt-provider.js';
export { ProviderError, type ProviderErrorCode, ValidationError } from './errors.js';
export type { GcsConfigJson, S3ConfigJson } from './filesystem.js';
export { ManagedProvider, type ManagementPolicy } from './managed-provider.js';
export {
  type MemoryProvider,
  type MemoryProviderOptions,
  openMemoryProvider,
} from './memory-provider.js';
export { MigrationError, type MigrationOptions } from './migrations.js';
export { type MysqlProviderOptions, openMysqlProvider } from './mysql-provider.js';
export {
  type DataProviderSettings,
  DRIVERS,
  type Driver,
  type OpenDataProviderOptions,
  type OpenedDataProvider,
  openDataProvider,
} from './open-data-provider.js';
export { PERMISSIONS, type Permission } from './permissions.js';
export { openPostgresProvider, type PostgresProviderOptions } from './postgres-provider.js';
export type { DataProvider, UserQuery } from './provider.js';
export {
  type ActionOutcome,
  ProviderActions,
  type ProviderActionsOptions,
  type ProviderActionsSettings,
  providerActionsProblems,
  type UserAction,
} from './provider-actions.js';
export type { QuotaChange } from './quota-change.js';
export { type SqlDriver, schemaScriptsDir } from './schema-scripts.js';
export type { SqlProvider } from './sql-provider.js';
export {
  type MysqlConnection,
  mysqlConnection,
  type PostgresConnection,
  postgresConnection,
  type SqlServerSettings,
} from './sql-server-settings.js';
export {
  openSqliteProvider,
  type SqliteProviderOptions,
  type SqliteSynchronous,
} from './sqlite-provider.js';
export { isValidTableName } from './table-name-plugin.js';
export {
  type Filesystem,
  type FilesystemJson,
  type GcsConfig,
  type PublicUser,
  parseUserInput,
  type S3Config,
  toPublicUser,
  toUserJson,
  type User,
  type UserInput,
  UserInputSchema,
  type UserJson,
} from './user.js';
export {
  dumpUsers,
  type LoadMode,
  type LoadOptions,
  type LoadResult,
  loadUsers,
  parseUserDump,
  type UserDump,
} from './user-dump.js';
