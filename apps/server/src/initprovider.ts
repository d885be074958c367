import { resolve } from 'node:path';
import { loadConfig } from '@sftpgo/config';
import type { Logger } from '@sftpgo/sftpd';
import { openConfiguredProvider } from './data-provider.js';

/**
 * `sftpgo initprovider`: applies the schema scripts that the configured SQL
 * database lacks, and says what it did. Memory and bolt need nothing.
 * @returns the sentence for the operator
 */
export async function initProvider(options: {
  readonly configDir: string;
  readonly configFile: string;
  readonly logger: Logger;
}): Promise<string> {
  const configDir = resolve(options.configDir);
  const { config, warnings } = await loadConfig(configDir, options.configFile);
  for (const message of warnings) options.logger.log({ level: 'warn', sender: 'config', message });
  const { driver } = config.data_provider;
  if (driver === 'memory' || driver === 'bolt') {
    return `the ${driver} data provider needs no initialization`;
  }
  const applied: string[] = [];
  const { provider } = await openConfiguredProvider({
    config,
    configDir,
    logger: options.logger,
    tolerateDeniedMigrations: false,
    onMigrationApplied: (version) => applied.push(version),
  });
  await provider.close();
  return applied.length === 0
    ? `the ${driver} data provider was already initialized: its schema is current`
    : `the ${driver} data provider is initialized: applied ${applied.map((v) => `${v}.sql`).join(', ')}`;
}
