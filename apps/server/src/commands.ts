import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { registerApiCommand } from './api-client/index.js';
import { initProvider } from './initprovider.js';
import { type AppLogger, createAppLogger } from './logging/app-logger.js';
import { portableOptions, runPortable } from './portable/portable-command.js';
import { serve } from './serve.js';
import { registerServiceCommand } from './service-command.js';
import { fullVersion } from './version.js';

// As the reference's process: `sftpgo serve ...` in ps, and the name sftpgo
// in /proc/<pid>/comm, which journald records as _COMM and the reference's
// fail2ban jail matches. The title alone would make the name its first 15
// bytes, `sftpgo serve -c`.
process.title = ['sftpgo', ...hideBin(process.argv)].join(' ');
if (process.platform === 'linux') {
  try {
    writeFileSync('/proc/self/comm', 'sftpgo');
  } catch {
    // A /proc that cannot be written leaves the name from the title.
  }
}

const env = process.env;

/** The reference's booleans, in a flag or its variable: 1, t or true, 0, f or false. */
function toBoolean(name: string) {
  return (value: unknown): boolean => {
    if (typeof value === 'boolean') return value;
    const text = String(value).trim().toLowerCase();
    if (text === '1' || text === 't' || text === 'true') return true;
    if (text === '0' || text === 'f' || text === 'false') return false;
    throw new Error(`${name}: expected 1, t, true, 0, f or false, got ${JSON.stringify(value)}`);
  };
}

/** A number of a flag or its variable, at least 0; fractions only where `fractions`. */
function toNumber(name: string, fractions = false) {
  return (value: unknown): number => {
    const text = String(value).trim();
    const pattern = fractions ? /^\d+(\.\d+)?$/ : /^\d+$/;
    if (!pattern.test(text)) {
      const kind = fractions ? 'a number' : 'a whole number';
      throw new Error(`${name}: expected ${kind}, got ${JSON.stringify(value)}`);
    }
    return Number(text);
  };
}

/** Where the configuration is: the options that `serve` and `initprovider` share. */
function configOptions<T>(y: Argv<T>) {
  return y
    .option('config-dir', {
      alias: 'c',
      type: 'string',
      default: env.SFTPGO_CONFIG_DIR || '.',
      describe:
        'Location of the config dir: it holds the configuration file and is the base of relative paths (SFTPGO_CONFIG_DIR)',
    })
    .option('config-file', {
      alias: 'f',
      type: 'string',
      default: env.SFTPGO_CONFIG_FILE || 'sftpgo',
      describe:
        'Name of the configuration file, without extension: sftpgo.json, .toml, .yaml, .yml, .properties, .hcl, .env or .ini, searched in the config dir, then $HOME/.config/sftpgo, /etc/sftpgo and the working directory (SFTPGO_CONFIG_FILE)',
    });
}

/** The log options of the spec's `serve`, each with its SFTPGO_LOG_* default. */
function logOptions<T>(y: Argv<T>) {
  return y
    .option('log-file-path', {
      alias: 'l',
      type: 'string',
      default: env.SFTPGO_LOG_FILE_PATH ?? 'sftpgo.log',
      describe:
        'Log file, relative to the config dir unless absolute; empty logs to the standard error (SFTPGO_LOG_FILE_PATH)',
    })
    .option('log-max-size', {
      alias: 's',
      type: 'string',
      default: env.SFTPGO_LOG_MAX_SIZE || '10',
      coerce: toNumber('--log-max-size (SFTPGO_LOG_MAX_SIZE)', true),
      describe:
        'Size in megabytes, fractions allowed, of the log file that makes it rotate (SFTPGO_LOG_MAX_SIZE)',
    })
    .option('log-max-backups', {
      alias: 'b',
      type: 'string',
      default: env.SFTPGO_LOG_MAX_BACKUPS || '5',
      coerce: toNumber('--log-max-backups (SFTPGO_LOG_MAX_BACKUPS)'),
      describe: 'How many rotated log files to keep (SFTPGO_LOG_MAX_BACKUPS)',
    })
    .option('log-max-age', {
      alias: 'a',
      type: 'string',
      default: env.SFTPGO_LOG_MAX_AGE || '28',
      coerce: toNumber('--log-max-age (SFTPGO_LOG_MAX_AGE)'),
      describe: 'Days after which rotated log files are removed (SFTPGO_LOG_MAX_AGE)',
    })
    .option('log-compress', {
      alias: 'z',
      type: 'boolean',
      default: env.SFTPGO_LOG_COMPRESS || false,
      coerce: toBoolean('--log-compress (SFTPGO_LOG_COMPRESS)'),
      describe: 'Compress rotated log files with gzip (SFTPGO_LOG_COMPRESS)',
    })
    .option('log-verbose', {
      alias: 'v',
      type: 'boolean',
      default: env.SFTPGO_LOG_VERBOSE || true,
      coerce: toBoolean('--log-verbose (SFTPGO_LOG_VERBOSE)'),
      describe: 'Write debug lines too (SFTPGO_LOG_VERBOSE)',
    });
}

interface LogArgs {
  'config-dir': string;
  'log-file-path': string;
  'log-max-size': number;
  'log-max-backups': number;
  'log-max-age': number;
  'log-compress': boolean;
  'log-verbose': boolean;
}

function openLog(argv: LogArgs): AppLogger {
  const file = argv['log-file-path'];
  const filePath = file === '' || isAbsolute(file) ? file : resolve(argv['config-dir'], file);
  // As the reference's log writer (lumberjack), which creates a missing folder.
  if (filePath !== '') {
    try {
      mkdirSync(dirname(filePath), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new Error(
        `cannot create the folder of the log file "${filePath}": ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  return createAppLogger({
    filePath,
    maxSizeMB: argv['log-max-size'],
    maxBackups: argv['log-max-backups'],
    maxAgeDays: argv['log-max-age'],
    compress: argv['log-compress'],
    verbose: argv['log-verbose'],
  });
}

async function runServe(argv: LogArgs & { 'config-file': string }): Promise<void> {
  const log = openLog(argv);
  const { logger } = log;
  const starting = serve({
    configDir: argv['config-dir'],
    configFile: argv['config-file'],
    logger,
  });
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log({ level: 'info', sender: 'service', message: `${signal} received, stopping` });
    starting.then(
      (server) =>
        server.stop().then(
          async () => {
            logger.log({ level: 'info', sender: 'service', message: 'stopped' });
            await log.close();
            process.exit(0);
          },
          async (err: unknown) => {
            logger.log({
              level: 'error',
              sender: 'service',
              message: `stop failed: ${(err as Error).message}`,
            });
            await log.close();
            process.exit(1);
          },
        ),
      // a start that failed is told below
      () => {},
    );
  };
  // before the start is logged: whoever waits for that line may stop the server at once
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('SIGHUP', () => {
    logger.log({ level: 'info', sender: 'service', message: 'SIGHUP received, reloading' });
    void starting.then((server) => server.reload());
  });
  try {
    await starting;
  } catch (err) {
    logger.log({ level: 'error', sender: 'service', message: (err as Error).message });
    await log.close();
    throw err;
  }
}

let args = hideBin(process.argv);
// `-v` is the version before a command and --log-verbose after `serve`, as in
// the reference: answered here, before yargs, which has one meaning per flag.
if (args.length === 1 && (args[0] === '-v' || args[0] === '--version')) {
  process.stdout.write(`SFTPGo version: ${fullVersion}\n`);
  process.exit(0);
}
// As the reference: `sftpgo` alone prints the help, `sftpgo help serve` the help of `serve`.
if (args.length === 0) args = ['help'];
if (args[0] === 'help' && args.length > 1) args = [...args.slice(1), '--help'];

const cli = registerApiCommand(registerServiceCommand(yargs(args)))
  .scriptName('sftpgo')
  // a flag given twice: the last one counts, as with most commands
  .parserConfiguration({ 'duplicate-arguments-array': false })
  .usage('Full featured and highly configurable SFTP server\n\nUsage:\n  $0 [command]')
  .updateStrings({ 'Commands:': 'Available Commands:', 'Options:': 'Flags:' })
  .epilogue('Use "sftpgo [command] --help" for more information about a command.')
  .command('help', 'Help about any command', {}, () => {
    cli.showHelp((text) => process.stdout.write(`${text}\n`));
  })
  .command(
    'portable',
    'Serve a single directory',
    (y) =>
      portableOptions(y).usage(
        'To serve the current working directory with auto generated credentials simply use:\n\n  sftpgo portable\n\nUsage:\n  sftpgo portable [flags]',
      ),
    (argv) => runPortable(argv),
  )
  .command(
    'serve',
    'Start the SFTP Server',
    (y) => logOptions(configOptions(y)),
    (argv) => runServe(argv),
  )
  .command(
    'initprovider',
    'Initialize the configured data provider: create or update its database schema',
    (y) => configOptions(y),
    async (argv) => {
      const log = createAppLogger({
        filePath: '',
        maxSizeMB: 10,
        maxBackups: 5,
        maxAgeDays: 28,
        compress: false,
        verbose: false,
      });
      try {
        const outcome = await initProvider({
          configDir: argv['config-dir'],
          configFile: argv['config-file'],
          logger: log.logger,
        });
        process.stdout.write(`${outcome}\n`);
      } finally {
        await log.close();
      }
    },
  )
  .strict()
  .version(false)
  .option('version', { alias: 'v', type: 'boolean', global: false, describe: 'Print the version' })
  .help()
  .alias('help', 'h')
  .fail((message, err, y) => {
    if (err) {
      process.stderr.write(`sftpgo: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${y.help()}\n\n${message}\n`);
    process.exit(2);
  });
await cli.parseAsync();
