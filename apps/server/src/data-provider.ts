import type { Config } from '@sftpgo/config';
import { type OpenedDataProvider, openDataProvider } from '@sftpgo/provider';
import type { Logger } from '@sftpgo/sftpd';
import { SQL_DIR } from './sql-dir.js';

export interface ProviderOpening {
  readonly config: Config;
  readonly configDir: string;
  readonly logger: Logger;
  /**
   * At start, schema scripts that the database user may not apply are
   * logged and the server goes on with the schema as it is (a read-only
   * account); `initprovider` fails instead.
   */
  readonly tolerateDeniedMigrations: boolean;
  /** Told of each schema script applied, after it is logged. */
  readonly onMigrationApplied?: (version: string) => void;
}

/** Opens the configured data provider, logging schema changes and provider actions. */
export function openConfiguredProvider(opening: ProviderOpening): Promise<OpenedDataProvider> {
  const { config, configDir, logger } = opening;
  return openDataProvider(config.data_provider, {
    configDir,
    sqlDir: SQL_DIR,
    onMigrationApplied: (version) => {
      logger.log({
        level: 'info',
        sender: 'dataProvider',
        message: `schema script ${version}.sql applied`,
      });
      opening.onMigrationApplied?.(version);
    },
    onMigrationDenied: opening.tolerateDeniedMigrations
      ? (err) => logger.log({ level: 'warn', sender: 'dataProvider', message: err.message })
      : undefined,
    onActionOutcome: (o) =>
      logger.log({
        level: o.ok ? 'debug' : 'warn',
        sender: 'dataProvider',
        message: o.ok
          ? `user action ${o.action} for ${JSON.stringify(o.username)}: ${o.target} done in ${o.elapsedMs} ms`
          : `user action ${o.action} for ${JSON.stringify(o.username)}: ${o.target} failed: ${o.error}`,
      }),
  });
}
