// `sftpgo api <subcommand>`: the REST API from the command line, for scripts,
// as the reference server's sftpgo_api_cli.py; with `import-users`, which
// converts Linux, Pure-FTPd and ProFTPD accounts. See docs/api-client.md.
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Argv } from 'yargs';
import { ApiClient, ApiError, type ApiUserInput, DEFAULT_BASE_URL } from './client.js';
import {
  convertProftpdUsers,
  convertPureFtpdUsers,
  convertUnixUsers,
  DEFAULT_PERMISSIONS,
  IMPORT_FORMATS,
  type ImportFormat,
  type ImportOptions,
  type ImportResult,
  UNIX_DEFAULT_MAX_UID,
  UNIX_DEFAULT_MIN_UID,
} from './import/index.js';
import {
  lastOf,
  listOf,
  mergeFilters,
  parsePermissions,
  UsageError,
  userFromFlags,
  wholeNumberFlag,
} from './user-flags.js';

/** What the command touches, so that tests can stand in for the process. */
export interface ApiCommandDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Sets the exit status; the process ends when its work is done. */
  readonly setExitCode: (code: number) => void;
  readonly readFile: (path: string) => Promise<string>;
  /** Stands in for the network in tests; the client's own transport by default. */
  readonly fetch?: typeof fetch;
  readonly now: () => number;
}

function defaultDeps(): ApiCommandDeps {
  return {
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    setExitCode: (code) => {
      process.exitCode = code;
    },
    readFile: (path) => readFile(path, 'utf8'),
    now: () => Date.now(),
  };
}

type Args = Record<string, unknown>;

const text = (value: unknown): string | undefined => {
  const one = lastOf(value);
  return one === undefined ? undefined : String(one);
};

function clientOf(argv: Args, deps: ApiCommandDeps): ApiClient {
  return new ApiClient({
    baseUrl: text(argv.url) ?? DEFAULT_BASE_URL,
    authUser: text(argv['auth-user']) ?? deps.env.SFTPGO_API_USER,
    authPassword: text(argv['auth-password']) ?? deps.env.SFTPGO_API_PASSWORD,
    insecure: lastOf(argv.insecure) === true,
    fetch: deps.fetch,
  });
}

/** A failure as one line on the standard error, and the exit status it means. */
function report(err: unknown, argv: Args, deps: ApiCommandDeps): void {
  if (err instanceof UsageError) {
    deps.err(`sftpgo api: ${err.message}\n`);
    deps.setExitCode(2);
    return;
  }
  if (err instanceof ApiError) {
    deps.err(`sftpgo api: ${err.message}\n`);
    deps.setExitCode(1);
    return;
  }
  const error = err as Error & { cause?: { message?: string }; code?: string };
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const url = text(argv.url) ?? DEFAULT_BASE_URL;
    deps.err(`sftpgo api: cannot reach ${url}: ${error.cause?.message ?? error.message}\n`);
  } else {
    // /etc/shadow and pureftpd.passwd are readable by root only
    const hint = error.code === 'EACCES' ? ': run as a user that can read it, usually root' : '';
    deps.err(`sftpgo api: ${error.message ?? String(err)}${hint}\n`);
  }
  deps.setExitCode(1);
}

/** A handler that prints what `work` resolves with, as indented JSON. */
function action(
  deps: ApiCommandDeps,
  work: (client: ApiClient, argv: Args) => Promise<unknown>,
): (argv: Args) => Promise<void> {
  return async (argv) => {
    try {
      const result = await work(clientOf(argv, deps), argv);
      if (result !== undefined) deps.out(`${JSON.stringify(result, null, 2)}\n`);
    } catch (err) {
      report(err, argv, deps);
    }
  };
}

function userId(value: unknown): number {
  const id = text(value) ?? '';
  if (!/^\d{1,15}$/.test(id)) {
    throw new UsageError(`expected a user ID (a whole number), got ${JSON.stringify(id)}`);
  }
  return Number(id);
}

function userOptions<T>(y: Argv<T>, adding: boolean) {
  const change = adding ? '' : ' (only the flags given are changed)';
  return y
    .option('username', { type: 'string', describe: `Username${change}` })
    .option('password', {
      type: 'string',
      describe: 'Password, in plain (hashed by the server) or already hashed',
    })
    .option('public-key', {
      type: 'array',
      string: true,
      describe: 'Public key in authorized_keys format; repeatable ("" for none)',
    })
    .option('home-dir', { type: 'string', describe: 'Absolute home directory' })
    .option('uid', { type: 'string', describe: 'System uid of the files (server running as root)' })
    .option('gid', { type: 'string', describe: 'System gid of the files (server running as root)' })
    .option('max-sessions', { type: 'string', describe: 'Concurrent sessions, 0 unlimited' })
    .option('quota-size', { type: 'string', describe: 'Size quota in bytes, 0 unlimited' })
    .option('quota-files', { type: 'string', describe: 'Files quota, 0 unlimited' })
    .option('permissions', {
      type: 'array',
      string: true,
      describe: 'DIR:PERM[,PERM...], as "/:*" "/dir:list,download"; repeatable',
    })
    .option('upload-bandwidth', { type: 'string', describe: 'KB/s (1000 bytes), 0 unlimited' })
    .option('download-bandwidth', { type: 'string', describe: 'KB/s (1000 bytes), 0 unlimited' })
    .option('status', { type: 'string', describe: '1 enabled, 0 disabled' })
    .option('expiration-date', { type: 'string', describe: 'YYYY-MM-DD (UTC), or 0 for never' })
    .option('allowed-ip', {
      type: 'array',
      string: true,
      describe: 'Allowed client IP/mask in CIDR notation; repeatable ("" for none)',
    })
    .option('denied-ip', {
      type: 'array',
      string: true,
      describe: 'Denied client IP/mask in CIDR notation; repeatable ("" for none)',
    })
    .option('fs-provider', {
      type: 'string',
      describe: 'Storage: 0 local disk, 1 S3-compatible, 2 Google Cloud Storage',
    })
    .option('s3-bucket', { type: 'string', describe: 'S3 bucket (required for S3)' })
    .option('s3-region', { type: 'string', describe: 'S3 region (required for S3)' })
    .option('s3-access-key', {
      type: 'string',
      describe: "S3 access key; empty: the server's environment",
    })
    .option('s3-access-secret', {
      type: 'string',
      describe: `S3 access secret, stored encrypted${adding ? '' : '; not given: the stored one is kept'}`,
    })
    .option('s3-endpoint', {
      type: 'string',
      describe: 'URL of an S3-compatible server; empty: AWS',
    })
    .option('s3-storage-class', { type: 'string', describe: 'Storage class of uploaded objects' })
    .option('s3-key-prefix', {
      type: 'string',
      describe: "The user's part of the bucket, as users/alice/; empty: the whole bucket",
    })
    .option('s3-upload-part-size', {
      type: 'string',
      describe: 'MiB per upload part, 5 to 5000; 0: 5',
    })
    .option('s3-upload-concurrency', {
      type: 'string',
      describe: 'Parts sent at once, up to 64; 0: 2',
    })
    .option('gcs-bucket', {
      type: 'string',
      describe: 'Google Cloud Storage bucket (required for GCS)',
    })
    .option('gcs-credentials-file', {
      type: 'string',
      describe: `Service account JSON key file, sent to the server${adding ? '' : '; not given: the stored key is kept'}`,
    })
    .option('gcs-automatic-credentials', {
      type: 'string',
      describe: "1: the server's environment credentials, no key file; 0: a key file",
    })
    .option('gcs-storage-class', { type: 'string', describe: 'Storage class of uploaded objects' })
    .option('gcs-key-prefix', {
      type: 'string',
      describe: "The user's part of the bucket, as users/alice/; empty: the whole bucket",
    });
}

/** The user body of the flags, with the GCS key file read. */
async function userOfFlags(argv: Args, deps: ApiCommandDeps): Promise<ApiUserInput> {
  const keyFile = text(argv['gcs-credentials-file']);
  return userFromFlags(argv, keyFile === undefined ? undefined : await deps.readFile(keyFile));
}

interface ImportOutcome {
  added: { username: string; id: number }[];
  failed: { username: string; status: number; error: string; message: string }[];
  skipped: { username: string; reason: string }[];
}

async function convertAccounts(argv: Args, deps: ApiCommandDeps): Promise<ImportResult> {
  const from = text(argv.from) as ImportFormat;
  const unix = from === 'unix';
  const file = text(argv.file);
  const passwd = text(argv.passwd);
  const shadow = text(argv.shadow);
  if (unix && file !== undefined) {
    throw new UsageError(
      '--file is for pure-ftpd and proftpd: --from unix reads --passwd and --shadow',
    );
  }
  if (!unix && (passwd !== undefined || shadow !== undefined)) {
    throw new UsageError(`--passwd and --shadow are for --from unix: --from ${from} reads --file`);
  }
  if (from === 'proftpd' && file === undefined) {
    throw new UsageError('--from proftpd needs --file, the AuthUserFile (ftpd.passwd)');
  }
  const homeBase = text(argv['home-base']);
  if (homeBase !== undefined && !posix.isAbsolute(homeBase)) {
    throw new UsageError(`--home-base: expected an absolute directory, got ${homeBase}`);
  }
  const permissions = listOf(argv.permissions);
  const options: ImportOptions = {
    minUid:
      wholeNumberFlag('min-uid', argv['min-uid']) ?? (unix ? UNIX_DEFAULT_MIN_UID : undefined),
    maxUid:
      wholeNumberFlag('max-uid', argv['max-uid']) ?? (unix ? UNIX_DEFAULT_MAX_UID : undefined),
    usernames: listOf(argv.users)
      ?.flatMap((names) => names.split(','))
      .map((name) => name.trim())
      .filter((name) => name !== ''),
    homeBase,
    permissions: permissions ? parsePermissions(permissions) : DEFAULT_PERMISSIONS,
    now: deps.now(),
  };
  if (unix) {
    const [passwdText, shadowText] = await Promise.all([
      deps.readFile(passwd ?? '/etc/passwd'),
      deps.readFile(shadow ?? '/etc/shadow'),
    ]);
    return convertUnixUsers(passwdText, shadowText, options);
  }
  if (from === 'pure-ftpd') {
    const path = file ?? deps.env.PURE_PASSWDFILE ?? '/etc/pureftpd.passwd';
    return convertPureFtpdUsers(await deps.readFile(path), options);
  }
  return convertProftpdUsers(await deps.readFile(file!), options);
}

async function importUsers(client: ApiClient, argv: Args, deps: ApiCommandDeps) {
  const result = await convertAccounts(argv, deps);
  for (const { username, reason } of result.skipped) {
    deps.err(`sftpgo api: import-users: skipped ${username}: ${reason}\n`);
  }
  for (const { username, message } of result.warnings) {
    deps.err(`sftpgo api: import-users: ${username}: ${message}\n`);
  }
  if (lastOf(argv['dry-run']) === true) return { users: result.users };
  const outcome: ImportOutcome = { added: [], failed: [], skipped: result.skipped };
  for (const user of result.users) {
    try {
      const added = await client.addUser(user);
      outcome.added.push({ username: user.username, id: added.id });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      deps.err(`sftpgo api: import-users: ${user.username} not added: ${err.message}\n`);
      outcome.failed.push({
        username: user.username,
        status: err.status,
        error: err.error,
        message: err.apiMessage,
      });
    }
  }
  if (outcome.failed.length > 0) deps.setExitCode(1);
  return outcome;
}

/**
 * Adds `sftpgo api <subcommand>` to a yargs instance: each REST API call,
 * and `import-users`. `deps` stands in for the process in tests.
 *
 * @example
 * registerApiCommand(yargs(hideBin(process.argv))).parseAsync();
 */
export function registerApiCommand<T>(y: Argv<T>, deps: Partial<ApiCommandDeps> = {}): Argv<T> {
  const all: ApiCommandDeps = { ...defaultDeps(), ...deps };
  const env = all.env;
  const run = (work: (client: ApiClient, argv: Args) => Promise<unknown>) => action(all, work);
  return y.command(
    'api',
    'Manage a running server through its REST API, as the reference sftpgo_api_cli.py',
    (ay) =>
      ay
        // repeatable flags: --permissions a --permissions b gives both
        .parserConfiguration({ 'duplicate-arguments-array': true })
        .option('url', {
          type: 'string',
          default: env.SFTPGO_API_URL || DEFAULT_BASE_URL,
          describe: 'Base URL of the server, /api/v1 added (SFTPGO_API_URL)',
        })
        .option('auth-user', {
          type: 'string',
          describe: 'User for HTTP basic authentication (SFTPGO_API_USER)',
        })
        .option('auth-password', {
          type: 'string',
          describe: 'Password for HTTP basic authentication (SFTPGO_API_PASSWORD)',
        })
        .option('insecure', {
          type: 'boolean',
          default: false,
          describe: 'Accept any HTTPS certificate, as a self-signed one',
        })
        .command(
          'version',
          'Version of the server',
          {},
          run((client) => client.version()),
        )
        .command(
          'provider-status',
          'Whether the data provider answers',
          {},
          run((client) => client.providerStatus()),
        )
        .command('users', 'List, get, add, update and delete users', (uy) =>
          uy
            .command(
              'list',
              'A page of users, by username',
              (ly) =>
                ly
                  .option('limit', {
                    type: 'string',
                    describe: 'Users per page, at most 500 (100)',
                  })
                  .option('offset', { type: 'string', describe: 'Users to pass over (0)' })
                  .option('order', {
                    type: 'string',
                    choices: ['ASC', 'DESC'],
                    describe: 'By username (ASC)',
                  })
                  .option('username', { type: 'string', describe: 'Only this username' }),
              run((client, argv) =>
                client.listUsers({
                  limit: wholeNumberFlag('limit', argv.limit),
                  offset: wholeNumberFlag('offset', argv.offset),
                  order: text(argv.order) as 'ASC' | 'DESC' | undefined,
                  username: text(argv.username),
                }),
              ),
            )
            .command(
              'get <id>',
              'A user by ID',
              (gy) => gy.positional('id', { type: 'string', describe: 'User ID' }),
              run((client, argv) => client.getUser(userId(argv.id))),
            )
            .command(
              'add',
              'Add a user; prints it with its ID',
              (ay2) => userOptions(ay2, true).demandOption('username'),
              // enabled unless told, as the reference CLI: the reference server
              // takes an omitted status as 0, a disabled user
              run(async (client, argv) => {
                const user = await userOfFlags(argv, all);
                if (user.filesystem && user.filesystem.provider === undefined) {
                  throw new UsageError(
                    'users add: the --s3-* and --gcs-* flags need --fs-provider 1 (S3) or 2 (GCS)',
                  );
                }
                return client.addUser({ status: 1, ...user });
              }),
            )
            .command(
              'update <id>',
              'Update the fields given of a user; the others keep their values',
              (py) =>
                userOptions(py.positional('id', { type: 'string', describe: 'User ID' }), false),
              run(async (client, argv) => {
                const id = userId(argv.id);
                let fields: ApiUserInput = await userOfFlags(argv, all);
                if (Object.keys(fields).length === 0) {
                  throw new UsageError('users update: give at least one field to change');
                }
                if (fields.filters) fields = mergeFilters(fields, await client.getUser(id));
                return client.updateUser(id, fields);
              }),
            )
            .command(
              'delete <id>',
              'Delete a user',
              (dy) => dy.positional('id', { type: 'string', describe: 'User ID' }),
              run((client, argv) => client.deleteUser(userId(argv.id))),
            )
            .demandCommand(1, 'Specify a users command.'),
        )
        .command('connections', 'List and close the live connections', (cy) =>
          cy
            .command(
              'list',
              'The live connections and their transfers',
              {},
              run((client) => client.listConnections()),
            )
            .command(
              'close <id>',
              'Close a connection',
              (xy) => xy.positional('id', { type: 'string', describe: 'Connection ID' }),
              run((client, argv) => client.closeConnection(text(argv.id) ?? '')),
            )
            .demandCommand(1, 'Specify a connections command.'),
        )
        .command('quota-scans', 'List and start quota scans', (qy) =>
          qy
            .command(
              'list',
              'The quota scans running',
              {},
              run((client) => client.listQuotaScans()),
            )
            .command(
              'start <username>',
              "Rescan a user's home to update its used quota",
              (sy) => sy.positional('username', { type: 'string', describe: 'Username' }),
              run((client, argv) => client.startQuotaScan(text(argv.username) ?? '')),
            )
            .demandCommand(1, 'Specify a quota-scans command.'),
        )
        .command(
          'dumpdata <file>',
          "Back up the users to a file under the server's backups_path",
          (dy) =>
            dy
              .positional('file', {
                type: 'string',
                describe: 'Path relative to backups_path',
              })
              .option('indent', { type: 'boolean', default: false, describe: 'Indented JSON' }),
          run((client, argv) =>
            client.dumpData(text(argv.file) ?? '', lastOf(argv.indent) === true),
          ),
        )
        .command(
          'loaddata <file>',
          'Restore the users of a backup file on the server',
          (ly) =>
            ly
              .positional('file', {
                type: 'string',
                describe:
                  'Backup file: a path relative to backups_path, or an absolute path inside it',
              })
              .option('scan-quota', {
                type: 'string',
                choices: ['0', '1', '2'],
                default: '0',
                describe: 'Quota scan of the restored users: 0 none, 1 all, 2 those with a quota',
              })
              .option('mode', {
                type: 'string',
                choices: ['0', '1'],
                default: '0',
                describe: '0 adds and updates users, 1 only adds',
              })
              .option('replace', {
                type: 'boolean',
                default: false,
                describe: 'Also delete the users absent from the file (not on a reference server)',
              }),
          run((client, argv) =>
            client.loadData(
              text(argv.file) ?? '',
              Number(text(argv['scan-quota'])) as 0 | 1 | 2,
              Number(text(argv.mode)) as 0 | 1,
              argv.replace === true,
            ),
          ),
        )
        .command(
          'import-users',
          'Convert Linux, Pure-FTPd or ProFTPD accounts into users, and add them',
          (iy) =>
            iy
              .option('from', {
                choices: IMPORT_FORMATS,
                demandOption: true,
                describe: 'The accounts: unix (passwd and shadow), pure-ftpd or proftpd',
              })
              .option('passwd', { type: 'string', describe: 'unix: the passwd file (/etc/passwd)' })
              .option('shadow', { type: 'string', describe: 'unix: the shadow file (/etc/shadow)' })
              .option('file', {
                type: 'string',
                describe:
                  'pure-ftpd: pureftpd.passwd (PURE_PASSWDFILE, /etc/pureftpd.passwd); proftpd: the AuthUserFile',
              })
              .option('min-uid', {
                type: 'string',
                describe: `Only accounts with this uid or more (unix: ${UNIX_DEFAULT_MIN_UID})`,
              })
              .option('max-uid', {
                type: 'string',
                describe: `Only accounts with this uid or less (unix: ${UNIX_DEFAULT_MAX_UID})`,
              })
              .option('users', {
                type: 'array',
                string: true,
                describe: 'Only these accounts, comma separated or repeated',
              })
              .option('home-base', {
                type: 'string',
                describe: "Homes made of this directory and the username, not the accounts' own",
              })
              .option('permissions', {
                type: 'array',
                string: true,
                describe: 'Permissions of every user, as DIR:PERM[,PERM...] ("/:*")',
              })
              .option('dry-run', {
                type: 'boolean',
                default: false,
                describe: 'Print the converted users as {"users": [...]}, add none',
              }),
          run((client, argv) => importUsers(client, argv, all)),
        )
        .demandCommand(1, 'Specify an api command.'),
  );
}
