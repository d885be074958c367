#!/usr/bin/env node
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { initProvider } from './initprovider.js';
import { createJsonLogger } from './json-logger.js';
import { serve } from './serve.js';
import { fullVersion } from './version.js';

const logger = createJsonLogger(process.stderr);

async function runServe(configDir: string, configFile: string): Promise<void> {
  const server = await serve({ configDir, configFile, logger });
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log({ level: 'info', sender: 'service', message: `${signal} received, stopping` });
    server.stop().then(
      () => {
        logger.log({ level: 'info', sender: 'service', message: 'stopped' });
        process.exit(0);
      },
      (err: unknown) => {
        logger.log({
          level: 'error',
          sender: 'service',
          message: `stop failed: ${(err as Error).message}`,
        });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('SIGHUP', () => {
    logger.log({ level: 'info', sender: 'service', message: 'SIGHUP received, reloading' });
    void server.reload();
  });
}

/** Where the configuration is: the options that `serve` and `initprovider` share. */
function configOptions<T>(y: Argv<T>) {
  return y
    .option('config-dir', {
      type: 'string',
      default: process.env.SFTPGO_CONFIG_DIR || '.',
      describe:
        'Location of the config dir: it holds the configuration file and is the base of relative paths (SFTPGO_CONFIG_DIR)',
    })
    .option('config-file', {
      type: 'string',
      default: process.env.SFTPGO_CONFIG_FILE || 'sftpgo',
      describe:
        'Name of the configuration file in the config dir, without extension (SFTPGO_CONFIG_FILE)',
    });
}

await yargs(hideBin(process.argv))
  .scriptName('sftpgo')
  .usage('Full featured and highly configurable SFTP server\n\nUsage: $0 [command]')
  .command(
    'serve',
    'Start the SFTP Server',
    (y) => configOptions(y),
    (argv) => runServe(argv['config-dir'], argv['config-file']),
  )
  .command(
    'initprovider',
    'Initialize the configured data provider: create or update its database schema',
    (y) => configOptions(y),
    async (argv) => {
      const outcome = await initProvider({
        configDir: argv['config-dir'],
        configFile: argv['config-file'],
        logger,
      });
      process.stdout.write(`${outcome}\n`);
    },
  )
  .demandCommand(1, 'Specify a command.')
  .strict()
  .version('version', 'Print the version', `SFTPGo version: ${fullVersion}`)
  .alias('version', 'v')
  .help()
  .alias('help', 'h')
  .fail((message, err, y) => {
    if (err) {
      process.stderr.write(`sftpgo: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${y.help()}\n\n${message}\n`);
    process.exit(2);
  })
  .parseAsync();
