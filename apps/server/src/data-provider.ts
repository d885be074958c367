import { resolve } from 'node:path';
import type { Config } from '@sftpgo/config';
import { AccountSecrets, type OpenedDataProvider, openDataProvider } from '@sftpgo/provider';
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
  /** The account secrets the storages use too; made from the configuration when absent. */
  readonly secrets?: AccountSecrets;
}

/** The key file of the S3 secrets, in the config dir. */
export const SECRETS_KEY_FILE = 'sftpgo-secrets.key';

/**
 * The secrets of accounts on object storage: the key of the S3 secrets in
 * the config dir, the Google Cloud Storage keys in `credentials_path`
 * (relative to the config dir).
 */
export function accountSecretsOf(config: Config, configDir: string): AccountSecrets {
  return new AccountSecrets({
    keyFile: resolve(configDir, SECRETS_KEY_FILE),
    credentialsDir: resolve(configDir, config.data_provider.credentials_path),
  });
}

/** Opens the configured data provider, logging schema changes and provider actions. */
export function openConfiguredProvider(opening: ProviderOpening): Promise<OpenedDataProvider> {
  const { config, configDir, logger } = opening;
  return openDataProvider(config.data_provider, {
    configDir,
    sqlDir: SQL_DIR,
    secrets: opening.secrets ?? accountSecretsOf(config, configDir),
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

/**
 * What a serving process (`sftpgo serve`, or one of its SSH workers) opens:
 * the account secrets, which its storages share with the provider, and the
 * provider, going on with a schema its database user may not change.
 */
export async function openServingProvider(
  config: Config,
  configDir: string,
  logger: Logger,
): Promise<{ secrets: AccountSecrets; store: OpenedDataProvider }> {
  const secrets = accountSecretsOf(config, configDir);
  const store = await openConfiguredProvider({
    config,
    configDir,
    logger,
    tolerateDeniedMigrations: true,
    secrets,
  });
  return { secrets, store };
}
