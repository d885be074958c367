import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { LogEntry, Logger } from '@sftpgo/sftpd';
import type { Argv } from 'yargs';
import { type AppLogger, createAppLogger } from '../logging/app-logger.js';
import type { RunningPortable } from './portable.js';
import type { PortableSettings } from './portable-settings.js';
import { type PortableFlags, PortableUsageError, portableSettings } from './portable-settings.js';

/** The spec's flags of `sftpgo portable`, with their short forms and defaults. */
export function portableOptions<T>(y: Argv<T>) {
  return y
    .option('directory', {
      alias: 'd',
      type: 'string',
      default: '.',
      describe: 'Path to the directory to serve, absolute or relative to the current directory',
    })
    .option('username', {
      alias: 'u',
      type: 'string',
      default: '',
      describe: 'Leave empty to use an auto generated value',
    })
    .option('password', {
      alias: 'p',
      type: 'string',
      default: '',
      describe: 'Leave empty to use an auto generated value (none when a public key is given)',
    })
    .option('public-key', {
      alias: 'k',
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'A public key, or a file of them in authorized_keys form (repeatable)',
    })
    .option('permissions', {
      alias: 'g',
      type: 'string',
      array: true,
      default: ['list', 'download'],
      describe: 'User\'s permissions, comma separated or repeated. "*" means any permission',
    })
    .option('ssh-commands', {
      alias: 'c',
      type: 'string',
      array: true,
      default: ['md5sum', 'sha1sum', 'cd', 'pwd'],
      describe: 'SSH commands to enable. "*" means any supported SSH command including scp',
    })
    .option('sftpd-port', {
      alias: 's',
      type: 'number',
      default: 0,
      describe: '0 means a random non privileged port',
    })
    .option('bind-address', {
      type: 'string',
      default: '',
      describe: 'The address to listen on; empty listens on every interface',
    })
    .option('log-file-path', {
      alias: 'l',
      type: 'string',
      default: '',
      describe: 'Leave empty to disable logging (warnings are still told on the standard error)',
    })
    .option('advertise-service', {
      alias: 'S',
      type: 'boolean',
      default: true,
      describe: 'Advertise SFTP service using multicast DNS',
    })
    .option('advertise-credentials', {
      alias: 'C',
      type: 'boolean',
      default: false,
      describe:
        'If the SFTP service is advertised via multicast DNS this flag allows to put username/password inside the advertised TXT record',
    })
    .option('fs-provider', {
      alias: 'f',
      type: 'number',
      default: 0,
      describe: '0 means local filesystem, 1 Amazon S3 compatible, 2 Google Cloud Storage',
    })
    .option('s3-bucket', { type: 'string', default: '' })
    .option('s3-region', { type: 'string', default: '' })
    .option('s3-access-key', { type: 'string', default: '' })
    .option('s3-access-secret', { type: 'string', default: '' })
    .option('s3-endpoint', { type: 'string', default: '' })
    .option('s3-storage-class', { type: 'string', default: '' })
    .option('s3-key-prefix', {
      type: 'string',
      default: '',
      describe:
        'Allows to restrict access to the virtual folder identified by this prefix and its contents',
    })
    .option('gcs-bucket', { type: 'string', default: '' })
    .option('gcs-credentials-file', {
      type: 'string',
      default: '',
      describe: 'Google Cloud Storage JSON credentials file',
    })
    .option('gcs-storage-class', { type: 'string', default: '' })
    .option('gcs-key-prefix', {
      type: 'string',
      default: '',
      describe:
        'Allows to restrict access to the virtual folder identified by this prefix and its contents',
    });
}

/** Without a log file: warnings and errors on the standard error, one line each. */
function consoleLogger(): Logger {
  return {
    log(entry: LogEntry) {
      if (entry.level !== 'warn' && entry.level !== 'error') return;
      const message = 'message' in entry ? String(entry.message) : JSON.stringify(entry);
      process.stderr.write(`sftpgo portable: ${entry.level}: ${message}\n`);
    },
  };
}

function openLogger(path: string): AppLogger {
  if (path === '') return { logger: consoleLogger(), close: async () => {} };
  const filePath = resolve(path);
  mkdirSync(dirname(filePath), { recursive: true, mode: 0o700 });
  return createAppLogger({
    filePath,
    maxSizeMB: 10,
    maxBackups: 5,
    maxAgeDays: 28,
    compress: false,
    verbose: false,
  });
}

/** `host` as it goes in `user@host`: IPv6 in brackets. */
const hostPart = (address: string) => (address.includes(':') ? `[${address}]` : address);

/** The block printed once the share runs: everything a user needs to connect. */
export function readyText(settings: PortableSettings, running: RunningPortable): string {
  const { username } = settings.user;
  const [first = '127.0.0.1'] = running.addresses;
  const [firstKey, ...otherKeys] = running.hostKeys.map((k) => `${k.fingerprint} (${k.type})`);
  const lines = [
    `SFTPGo portable ready: serving ${settings.served}`,
    `  address:      ${running.addresses.join(', ')}`,
    `  port:         ${running.port}`,
    `  username:     ${username}`,
    settings.password
      ? `  password:     ${settings.password}${settings.passwordGenerated ? ' (generated)' : ''}`
      : '  password:     none: log in with a public key',
    `  public keys:  ${settings.user.public_keys?.length ?? 0}`,
    `  permissions:  ${settings.permissions.join(', ')}`,
    `  ssh commands: ${settings.sshCommands.join(', ') || 'none'}`,
    `  advertised:   ${
      running.advertised
        ? `SFTPGo portable ${running.port} (_sftp-ssh._tcp by multicast DNS${settings.advertiseCredentials ? ', with the credentials' : ''})`
        : 'no'
    }`,
    `  connect:      sftp -P ${running.port} ${username}@${hostPart(first)}`,
    `  host keys:    ${firstKey ?? ''}`,
    ...otherKeys.map((k) => `                ${k}`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `sftpgo portable` (and `sftpgo-portable`) until SIGINT or SIGTERM. A
 * flag that cannot be used is told in one line and ends it with status 2.
 */
export async function runPortable(flags: PortableFlags): Promise<void> {
  let settings: PortableSettings;
  try {
    settings = await portableSettings(flags);
  } catch (err) {
    if (!(err instanceof PortableUsageError)) throw err;
    process.stderr.write(`sftpgo portable: ${err.message}\n`);
    process.exit(2);
  }
  const log = openLogger(settings.logFilePath);
  let running: RunningPortable;
  try {
    // loaded here, so that the other commands, `serve` among them, leave
    // portable mode's code (multicast DNS with it) unloaded
    const { startPortable } = await import('./portable.js');
    running = await startPortable(settings, log.logger);
  } catch (err) {
    await log.close();
    process.stderr.write(`sftpgo portable: ${(err as Error).message}\n`);
    process.exit(err instanceof PortableUsageError ? 2 : 1);
  }
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.logger.log({ level: 'info', sender: 'portable', message: `${signal} received, stopping` });
    running.stop().finally(async () => {
      await log.close();
      process.exit(0);
    });
  };
  // before the block is printed: whoever reads it may stop the share at once
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.stdout.write(readyText(settings, running));
}
