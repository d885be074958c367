import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { DRIVERS, isValidTableName } from '@sftpgo/provider';
import { z } from 'zod';

// Descriptions go last in each chain: `.default()` and `.prefault()` wrap the
// schema in a new one, which would not carry a description given before them.

const port = () => z.number().int().min(0).max(65535);

/** `10.0.0.5`, `2001:db8::1`, `10.0.0.0/8` or `2001:db8::/32`. */
function isAddressOrNetwork(value: string): boolean {
  const [address = '', prefix, extra] = value.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  return (
    prefix === undefined ||
    (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128))
  );
}

const absolutePathOrEmpty = () =>
  z.string().refine((p) => p === '' || isAbsolute(p), { message: 'must be an absolute path' });

const httpUrlOrEmpty = () =>
  z.string().refine((u) => u === '' || /^https?:\/\/./.test(u), {
    message: 'must be an http or https URL',
  });

const sftpdActions = z
  .object({
    execute_on: z
      .array(z.enum(['download', 'upload', 'delete', 'rename', 'ssh_cmd']))
      .default([])
      .describe(
        'The operations that trigger the action: download, upload, delete, rename, ssh_cmd (a successful SSH command; scp counts as download and upload). Empty disables the action.',
      ),
    command: absolutePathOrEmpty()
      .default('')
      .describe(
        'Absolute path of a program run after each triggering operation, with the operation and the paths as arguments. Empty runs nothing.',
      ),
    http_notification_url: httpUrlOrEmpty()
      .default('')
      .describe(
        'An http or https URL that receives a GET request, the operation in its query string, after each triggering operation. Empty sends nothing.',
      ),
  })
  .strict()
  .prefault({})
  .describe(
    'What to do after a file operation completes without error: run a command, notify a URL, or both.',
  );

const sftpd = z
  .object({
    bind_port: port().default(2022).describe('TCP port on which the SFTP server listens.'),
    bind_address: z
      .string()
      .default('')
      .describe('IP address on which the SFTP server listens; empty means every interface.'),
    idle_timeout: z
      .number()
      .int()
      .nonnegative()
      .default(15)
      .describe(
        'Minutes without activity after which a client is disconnected; 0 never disconnects idle clients.',
      ),
    max_auth_tries: z
      .number()
      .int()
      .default(0)
      .describe(
        'Authentication attempts allowed on one connection: 0 means 6, a negative number means no limit.',
      ),
    max_per_host_connections: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        'Connections open at once from one client address, logged in or not; one more is refused before the key exchange, with a warning in the log. Counted across every worker. 0 sets no limit.',
      ),
    workers: z
      .number()
      .int()
      .min(0)
      .max(256)
      .default(1)
      .describe(
        'Processes that serve SSH connections: 1 serves them in the main process; more spreads new connections over that many worker processes, the one with the fewest first; 0 starts one per CPU core. The REST API, logs, metrics, the defender, the connection list, max_sessions and max_per_host_connections stay one across them. The memory provider needs 1: its users live in one process.',
      ),
    umask: z
      .string()
      .regex(/^0*[0-7]{1,3}$/, { message: 'must be an octal mode of at most 777, such as "0022"' })
      .default('0022')
      .describe(
        'Octal umask applied to the files and directories the server creates: up to three octal digits after any leading zeros, such as "0022", "022" or "22".',
      ),
    banner: z
      .string()
      // as the reference, which trims it to decide
      .overwrite((banner) => (banner.trim() === '' ? '' : banner))
      .default('')
      .describe(
        'Identification string the server sends in the SSH handshake; empty or blank sends "SFTPGo_" followed by the version.',
      ),
    upload_mode: z
      .literal([0, 1, 2])
      .default(0)
      .describe(
        'How uploads are written. 0: straight to the requested path. 1 (atomic): to a temporary file, renamed to the requested path when the upload completes and deleted if it fails. 2 (atomic with resume): as 1, but a failed upload is renamed too, so that the client can resume it.',
      ),
    actions: sftpdActions,
    keys: z
      .array(
        z
          .object({
            private_key: z
              .string()
              .min(1)
              .describe('Path of a private host key file, absolute or relative to the config dir.'),
          })
          .strict(),
      )
      .default([])
      .describe(
        'The host keys of the server. Empty means id_rsa and id_ed25519 in the config dir, each generated if it does not exist.',
      ),
    enable_scp: z
      .boolean()
      .default(false)
      .describe('Deprecated way to enable SCP: add scp to enabled_ssh_commands instead.'),
    kex_algorithms: z
      .array(z.string())
      .default([])
      .describe(
        'Key exchange algorithms offered, in order of preference; empty uses the defaults.',
      ),
    ciphers: z
      .array(z.string())
      .default([])
      .describe('Ciphers allowed, in order of preference; empty uses the defaults.'),
    macs: z
      .array(z.string())
      .default([])
      .describe(
        'Message authentication code algorithms offered, in order of preference; empty uses the defaults.',
      ),
    login_banner_file: z
      .string()
      .default('')
      .describe(
        'File whose text is sent to clients before they authenticate, absolute or relative to the config dir; empty sends no banner.',
      ),
    setstat_mode: z
      .literal([0, 1])
      .default(0)
      .describe(
        "What to do with clients' requests to change permissions, owner or times: 0 carries them out, 1 ignores them while reporting success.",
      ),
    enabled_ssh_commands: z
      .array(
        z.enum([
          'scp',
          'md5sum',
          'sha1sum',
          'sha256sum',
          'sha384sum',
          'sha512sum',
          'cd',
          'pwd',
          'git-receive-pack',
          'git-upload-pack',
          'git-upload-archive',
          'rsync',
          '*',
        ]),
      )
      .default(['md5sum', 'sha1sum', 'cd', 'pwd'])
      .describe(
        'SSH commands that clients may run; "*" enables them all. The git commands and rsync run the programs of the system (installed under /usr) in a bubblewrap sandbox: when any of them is enabled, the server starts only where bubblewrap can create that sandbox.',
      ),
    keyboard_interactive_auth_program: absolutePathOrEmpty()
      .default('')
      .describe(
        'Absolute path of a program that asks the questions of keyboard-interactive authentication and checks the answers; empty disables that method.',
      ),
    grace_time: z
      .number()
      .int()
      .min(0)
      .default(30)
      .describe(
        'Seconds a stop (SIGTERM, SIGINT) waits for the transfers running to finish before it closes their connections; 0 closes them at once. Idle connections are closed at once. Beyond the reference server.',
      ),
    proxy_protocol: z
      .literal([0, 1, 2])
      .default(0)
      .describe(
        "The PROXY protocol (v1 and v2, as HAProxy's send-proxy and send-proxy-v2 write it), for a server behind a TCP load balancer: its header gives the real client address to IP filters, logs, the defender and actions. 0 off. 1: a header is used when a connection starts with one, and a connection without one is accepted. 2: every connection must start with a header. With proxy_allowed set, a connection from another address is, in mode 1, taken with its header read and ignored and, in mode 2, refused. As SFTPGo 0.9.6.",
      ),
    proxy_allowed: z
      .array(
        z.string().refine(isAddressOrNetwork, {
          message: 'must be an IP address or a CIDR network, such as "10.0.0.5" or "10.0.0.0/8"',
        }),
      )
      .default([])
      .describe(
        'Addresses and CIDR networks of the proxies allowed to send the PROXY header; empty allows every address. See proxy_protocol.',
      ),
    defender: z
      .object({
        enabled: z.boolean().default(false).describe('Turns the defender on.'),
        score_per_failure: z
          .number()
          .int()
          .min(1)
          .default(1)
          .describe('Score that each failed login adds to the client address.'),
        threshold: z
          .number()
          .int()
          .min(1)
          .default(15)
          .describe('Score at which an address is banned.'),
        ban_time: z
          .number()
          .int()
          .min(1)
          .default(30)
          .describe('Minutes for which a banned address stays banned.'),
        observation_time: z
          .number()
          .int()
          .min(1)
          .default(30)
          .describe('Minutes after which a failure no longer counts in the score.'),
        allow_list: z
          .array(z.string())
          .default([])
          .describe('Addresses and CIDR networks that are never banned.'),
      })
      .strict()
      .prefault({})
      .describe(
        'Extension to the reference server: bans the addresses whose logins fail too often.',
      ),
  })
  .strict()
  .prefault({})
  .describe('The SFTP server: where it listens, its host keys, what clients may do.');

const dataProviderActions = z
  .object({
    execute_on: z
      .array(z.enum(['add', 'update', 'delete']))
      .default([])
      .describe(
        "The user changes that trigger the action: add, update, delete. Internal updates, such as a user's last login or used quota, trigger nothing.",
      ),
    command: absolutePathOrEmpty()
      .default('')
      .describe(
        'Absolute path of a program run after each triggering change, with the action and the user as arguments. Empty runs nothing.',
      ),
    http_notification_url: httpUrlOrEmpty()
      .default('')
      .describe(
        'An http or https URL to which each triggering change POSTs the user as JSON, the action in the query string (`?action=update`). Empty sends nothing.',
      ),
  })
  .strict()
  .prefault({})
  .describe(
    'What to do after a user is added, updated or deleted: run a command, notify a URL, or both.',
  );

const dataProvider = z
  .object({
    driver: z
      .enum(DRIVERS)
      .default('sqlite')
      .describe(
        'The database of the users: a file (sqlite, bolt), a server (postgresql, mysql), or memory, filled from a users dump and never written back.',
      ),
    name: z
      .string()
      .default('sftpgo.db')
      .describe(
        'The database name. For sqlite and bolt, the database file; for memory, an optional users dump to load. Files are absolute or relative to the config dir.',
      ),
    host: z.string().default('').describe('Host of the database server, for postgresql and mysql.'),
    port: port().default(5432).describe('Port of the database server, for postgresql and mysql.'),
    username: z
      .string()
      .default('')
      .describe('User name on the database server, for postgresql and mysql.'),
    password: z
      .string()
      .default('')
      .describe('Password on the database server, for postgresql and mysql.'),
    sslmode: z
      .literal([0, 1, 2, 3])
      .default(0)
      .describe(
        'TLS to the database server. 0: none. 1: required. 2: verify-ca for postgresql, skip-verify for mysql. 3: verify-full for postgresql, preferred for mysql.',
      ),
    connection_string: z
      .string()
      .default('')
      .describe(
        'A complete connection string, used instead of the keys above; empty builds one from them. For sqlite, the path of the database file or a file: URI (such as file:sftpgo.db?cache=shared), used instead of name; relative to the config dir. Its _synchronous parameter (OFF, NORMAL, FULL, EXTRA; NORMAL by default) sets when a commit waits for the disk.',
      ),
    users_table: z
      .string()
      .refine(isValidTableName, {
        message: 'must be a table name, or schema.table, of letters, digits and _',
      })
      .default('users')
      .describe('The table, or schema.table, that holds the users.'),
    manage_users: z
      .literal([0, 1])
      .default(1)
      .describe('1 lets the REST API add, update and delete users; 0 forbids it.'),
    track_quota: z
      .literal([0, 1, 2])
      .default(2)
      .describe(
        'How used quota is tracked. 0: not at all, and quota scans do nothing. 1: on every upload and delete. 2: on every upload and delete of users who have a quota; a quota scan updates the others.',
      ),
    pool_size: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('Most connections open at once to postgresql or mysql; 0 means no limit.'),
    users_base_dir: absolutePathOrEmpty()
      .default('')
      .describe(
        'Absolute directory in which a user added without a home dir gets one, named after the user; empty disables this.',
      ),
    actions: dataProviderActions,
    external_auth_program: absolutePathOrEmpty()
      .default('')
      .describe(
        'Absolute path of a program that authenticates users in place of the stored credentials; empty disables external authentication.',
      ),
    external_auth_scope: z
      .number()
      .int()
      .min(0)
      .max(7)
      .default(0)
      .describe(
        'The logins the external program checks, as a sum of flags: 1 passwords, 2 public keys, 4 keyboard-interactive; 0 means all of them.',
      ),
    credentials_path: z
      .string()
      .default('credentials')
      .describe(
        'Directory for the credential files users provide, such as Google Cloud Storage keys; absolute or relative to the config dir.',
      ),
  })
  .strict()
  .superRefine((dp, ctx) => {
    const file = dp.driver === 'bolt' || (dp.driver === 'sqlite' && dp.connection_string === '');
    if (file && dp.name === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `the ${dp.driver} driver needs a file name`,
      });
    }
    const network = dp.driver === 'postgresql' || dp.driver === 'mysql';
    if (network && dp.name === '' && dp.connection_string === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: 'give the database name, or a connection_string',
      });
    }
  })
  .prefault({})
  .describe('Where the users are stored, and what to do when they change.');

const httpd = z
  .object({
    bind_port: port()
      .default(8080)
      .describe('TCP port of the HTTP server (REST API and web admin); 0 disables it.'),
    bind_address: z
      .string()
      .default('127.0.0.1')
      .describe('IP address on which the HTTP server listens; empty means every interface.'),
    templates_path: z
      .string()
      .default('templates')
      .describe(
        'Directory of the HTML templates of the web admin, absolute or relative to the config dir.',
      ),
    static_files_path: z
      .string()
      .default('static')
      .describe(
        'Directory of the static files of the web admin, absolute or relative to the config dir.',
      ),
    backups_path: z
      .string()
      .default('backups')
      .describe(
        'The only directory where backups are written, absolute or relative to the config dir.',
      ),
    auth_user_file: z
      .string()
      .default('')
      .describe(
        'An htpasswd file (bcrypt $2y$ or md5-crypt $apr1$ hashes) of the users allowed in by HTTP basic authentication, absolute or relative to the config dir; empty disables authentication.',
      ),
    certificate_file: z
      .string()
      .default('')
      .describe(
        'TLS certificate, absolute or relative to the config dir; with certificate_key_file, the server speaks HTTPS only. Reloaded on SIGHUP.',
      ),
    certificate_key_file: z
      .string()
      .default('')
      .describe(
        'Private key of certificate_file, absolute or relative to the config dir. Reloaded on SIGHUP.',
      ),
  })
  .strict()
  .superRefine((h, ctx) => {
    if ((h.certificate_file === '') !== (h.certificate_key_file === '')) {
      ctx.addIssue({
        code: 'custom',
        path: [h.certificate_file === '' ? 'certificate_file' : 'certificate_key_file'],
        message: 'HTTPS needs both certificate_file and certificate_key_file, or neither',
      });
    }
  })
  .prefault({})
  .describe('The HTTP server of the REST API and the web admin.');

/**
 * The configuration, with the spec's defaults. Only known keys are accepted
 * here: loadConfig drops the others from a file or the environment first,
 * with a warning that names them.
 */
export const ConfigSchema = z
  .object({ sftpd, data_provider: dataProvider, httpd })
  .strict()
  .superRefine((c, ctx) => {
    if (c.data_provider.driver === 'memory' && c.sftpd.workers !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['sftpd', 'workers'],
        message:
          'the memory provider keeps its users in one process: set workers to 1, or use sqlite, postgresql or mysql',
      });
    }
  });

export type Config = z.output<typeof ConfigSchema>;
