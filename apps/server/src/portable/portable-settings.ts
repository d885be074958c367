import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { PERMISSIONS, type UserInput } from '@sftpgo/provider';
import { SSH_COMMANDS } from '@sftpgo/sftpd';
import { generatePassword, generateUsername } from './credentials.js';

/** The flags of the spec's `portable` command, as parsed. */
export interface PortableFlags {
  readonly directory: string;
  readonly username: string;
  readonly password: string;
  readonly 'public-key': readonly string[];
  readonly permissions: readonly string[];
  readonly 'ssh-commands': readonly string[];
  readonly 'sftpd-port': number;
  readonly 'bind-address': string;
  readonly 'log-file-path': string;
  readonly 'advertise-service': boolean;
  readonly 'advertise-credentials': boolean;
  readonly 'fs-provider': number;
  readonly 's3-bucket': string;
  readonly 's3-region': string;
  readonly 's3-access-key': string;
  readonly 's3-access-secret': string;
  readonly 's3-endpoint': string;
  readonly 's3-storage-class': string;
  readonly 's3-key-prefix': string;
  readonly 'gcs-bucket': string;
  readonly 'gcs-credentials-file': string;
  readonly 'gcs-storage-class': string;
  readonly 'gcs-key-prefix': string;
}

/** A flag that cannot be used: told in one line, and the command exits with status 2. */
export class PortableUsageError extends Error {
  override readonly name = 'PortableUsageError';
}

/** What a portable share serves, and to whom, once the flags are checked. */
export interface PortableSettings {
  /** The account, as the data provider takes it. */
  readonly user: UserInput & { readonly username: string };
  /** The password, generated or given; empty when only keys log in. */
  readonly password: string;
  readonly passwordGenerated: boolean;
  readonly permissions: readonly string[];
  readonly sshCommands: readonly string[];
  /** What is shared, as the start tells it: a directory, or a bucket and its prefix. */
  readonly served: string;
  readonly port: number;
  /** Empty: every interface. */
  readonly bindAddress: string;
  readonly logFilePath: string;
  readonly advertiseService: boolean;
  readonly advertiseCredentials: boolean;
}

/** The values of a list flag given as `a,b` or repeated, without empty ones. */
function listOf(values: readonly string[]): string[] {
  return values
    .flatMap((v) => String(v).split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

const KEY_LINE = /^(ssh-|ecdsa-|sk-)\S+ \S+/;

/** The keys of `-k`: authorized_keys lines, or files of them. */
async function publicKeysOf(values: readonly string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const value of values) {
    if (KEY_LINE.test(value.trim())) {
      keys.push(value.trim());
      continue;
    }
    let text: string;
    try {
      text = await readFile(resolve(value), 'utf8');
    } catch (err) {
      throw new PortableUsageError(
        `--public-key ${JSON.stringify(value)}: neither a public key nor a readable file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    const lines = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    if (lines.length === 0 || !lines.every((l) => KEY_LINE.test(l))) {
      throw new PortableUsageError(
        `--public-key ${JSON.stringify(value)}: the file holds no public key in authorized_keys form`,
      );
    }
    keys.push(...lines);
  }
  return keys;
}

function permissionsOf(values: readonly string[]): string[] {
  const list = listOf(values);
  const known: readonly string[] = PERMISSIONS;
  const unknown = list.filter((p) => !known.includes(p));
  if (unknown.length > 0) {
    throw new PortableUsageError(
      `--permissions: unknown permission ${JSON.stringify(unknown[0])}; use ${PERMISSIONS.join(', ')}`,
    );
  }
  if (list.length === 0) throw new PortableUsageError('--permissions: grant at least one');
  return list.includes('*') ? ['*'] : [...new Set(list)];
}

function sshCommandsOf(values: readonly string[]): string[] {
  const list = listOf(values);
  const known: readonly string[] = SSH_COMMANDS;
  if (list.includes('*')) return ['*'];
  const unknown = list.filter((c) => !known.includes(c));
  if (unknown.length > 0) {
    throw new PortableUsageError(
      `--ssh-commands: unknown command ${JSON.stringify(unknown[0])}; use ${SSH_COMMANDS.join(', ')} or *`,
    );
  }
  return [...new Set(list)];
}

async function directoryOf(path: string): Promise<string> {
  const full = resolve(path);
  const found = await stat(full).catch(() => undefined);
  if (!found?.isDirectory()) {
    throw new PortableUsageError(`--directory ${JSON.stringify(path)}: no such directory`);
  }
  return full;
}

async function filesystemOf(flags: PortableFlags): Promise<UserInput['filesystem']> {
  switch (flags['fs-provider']) {
    case 0:
      return { provider: 0 };
    case 1:
      return {
        provider: 1,
        s3config: {
          bucket: flags['s3-bucket'],
          region: flags['s3-region'],
          access_key: flags['s3-access-key'],
          access_secret: flags['s3-access-secret'],
          endpoint: flags['s3-endpoint'],
          storage_class: flags['s3-storage-class'],
          key_prefix: flags['s3-key-prefix'],
        },
      };
    case 2: {
      const file = flags['gcs-credentials-file'];
      let credentials = '';
      if (file) {
        try {
          credentials = (await readFile(resolve(file))).toString('base64');
        } catch (err) {
          throw new PortableUsageError(
            `--gcs-credentials-file ${JSON.stringify(file)}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
          );
        }
      }
      return {
        provider: 2,
        gcsconfig: {
          bucket: flags['gcs-bucket'],
          // without a key file, the credentials of the environment
          ...(credentials ? { credentials } : { automatic_credentials: 1 }),
          storage_class: flags['gcs-storage-class'],
          key_prefix: flags['gcs-key-prefix'],
        },
      } as UserInput['filesystem'];
    }
    default:
      throw new PortableUsageError(
        `--fs-provider ${flags['fs-provider']}: use 0 (local filesystem), 1 (S3) or 2 (Google Cloud Storage)`,
      );
  }
}

/**
 * The share the flags describe; missing credentials are generated (a
 * password only when no public key is given, as the reference does).
 * @throws {PortableUsageError} naming the first flag that cannot be used
 */
export async function portableSettings(flags: PortableFlags): Promise<PortableSettings> {
  const port = flags['sftpd-port'];
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PortableUsageError(`--sftpd-port ${port}: use a port from 1 to 65535, or 0 for any`);
  }
  const permissions = permissionsOf(flags.permissions);
  const sshCommands = sshCommandsOf(flags['ssh-commands']);
  const publicKeys = await publicKeysOf(listOf(flags['public-key']));
  const filesystem = await filesystemOf(flags);
  const local = filesystem?.provider === 0;
  // an object store needs no home directory: the account's required one is never written
  const homeDir = local ? await directoryOf(flags.directory) : tmpdir();
  const username = flags.username || generateUsername();
  const passwordGenerated = !flags.password && publicKeys.length === 0;
  const password = flags.password || (passwordGenerated ? generatePassword() : '');
  let served = homeDir;
  if (filesystem?.provider === 1) {
    served = `s3://${flags['s3-bucket']}/${flags['s3-key-prefix']}`;
  } else if (filesystem?.provider === 2) {
    served = `gs://${flags['gcs-bucket']}/${flags['gcs-key-prefix']}`;
  }
  return {
    user: {
      status: 1,
      username,
      ...(password ? { password } : {}),
      public_keys: publicKeys,
      home_dir: homeDir,
      permissions: { '/': permissions as never },
      filesystem,
    },
    password,
    passwordGenerated,
    permissions,
    sshCommands,
    served,
    port,
    bindAddress: flags['bind-address'],
    logFilePath: flags['log-file-path'],
    advertiseService: flags['advertise-service'],
    advertiseCredentials: flags['advertise-credentials'],
  };
}
