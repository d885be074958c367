import { isIP } from 'node:net';
import { posix } from 'node:path';
import { hashedPasswordProblem } from '@sftpgo/auth';
import { z } from 'zod';
import {
  FilesystemSchema,
  filesystemConfigsJson,
  type GcsConfigJson,
  type S3ConfigJson,
  shownS3Secret,
} from './filesystem.js';
import { PERMISSIONS, type Permission } from './permissions.js';
import { isPublicKeyLine } from './public-key-line.js';

function isCidr(value: string): boolean {
  const [address, prefix, extra] = value.split('/');
  if (address === undefined || prefix === undefined || extra !== undefined) return false;
  const family = isIP(address);
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
  return family !== 0 && bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

const count = z.number().int().nonnegative();
const absolutePath = z
  .string()
  .refine((p) => posix.isAbsolute(p), { message: 'must be an absolute path' });
const cidrList = z.array(
  z.string().refine(isCidr, { message: 'must be an IP/mask in CIDR notation' }),
);

// An empty list is allowed below "/", as the reference server allows it: no
// permission at all in that directory.
const permissionList = z
  .array(z.enum(PERMISSIONS))
  .transform((list): Permission[] => (list.includes('*') ? ['*'] : [...new Set(list)]));

const permissions = z
  .record(z.string(), permissionList)
  .superRefine((perms, ctx) => {
    if (!('/' in perms)) {
      ctx.addIssue({ code: 'custom', message: 'permissions for the root dir "/" must be set' });
    } else if (perms['/']?.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['/'], message: 'grant at least one permission' });
    }
    // a key that cleans to another one would silently take its place
    const keysOf = new Map<string, string[]>();
    for (const dir of Object.keys(perms)) {
      if (!posix.isAbsolute(dir)) {
        ctx.addIssue({ code: 'custom', path: [dir], message: 'must be an absolute path' });
        continue;
      }
      const cleaned = posix.resolve(dir);
      if (cleaned === '/' && dir !== '/') {
        ctx.addIssue({
          code: 'custom',
          path: [dir],
          message: `cannot set permissions for invalid subdirectory: ${JSON.stringify(dir)} is an alias for "/"`,
        });
        continue;
      }
      keysOf.set(cleaned, [...(keysOf.get(cleaned) ?? []), dir]);
    }
    for (const [cleaned, keys] of keysOf) {
      if (keys.length > 1) {
        ctx.addIssue({
          code: 'custom',
          path: [keys[1] ?? cleaned],
          message: `the directory ${JSON.stringify(cleaned)} is given more than once: ${keys.map((k) => JSON.stringify(k)).join(', ')}`,
        });
      }
    }
  })
  .transform((perms) => {
    const cleaned: Record<string, Permission[]> = {};
    for (const [dir, list] of Object.entries(perms)) cleaned[posix.resolve(dir)] = list;
    return cleaned;
  });

/**
 * A list of SFTPGo 0.9.6 this server does not have: accepted empty, as that
 * version's dumps and clients send it; refused otherwise, since ignoring a
 * restriction would grant more than asked.
 */
const unsupportedList = z
  .array(z.unknown())
  .max(0, { message: 'is not supported by this server: it must be empty' })
  .optional();

/**
 * A user as the REST API and the data provider receive it. Unknown fields
 * are ignored, as the reference server ignores them. Server-maintained
 * fields may be sent (a dump holds them) and are ignored on creation.
 */
export const UserInputSchema = z
  .object({
    id: z.number().int().optional(),
    status: z.union([z.literal(0), z.literal(1)]).default(1),
    username: z
      .string()
      .min(1, { message: 'is required' })
      .max(255)
      .regex(/^[\w.@~-]+$/, {
        message: 'may contain only letters, digits and the characters . _ - @ ~',
      })
      // a home dir is made of the username under users_base_dir
      .refine((name) => name !== '.' && name !== '..', { message: 'must not be "." or ".."' }),
    expiration_date: count.default(0),
    // A value that starts like a hash is stored as it is: one that cannot be
    // checked would refuse every password, so it is refused here instead.
    password: z
      .string()
      .optional()
      .superRefine((value, ctx) => {
        const problem = value === undefined ? undefined : hashedPasswordProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    public_keys: z
      .array(z.string())
      .default([])
      .superRefine((keys, ctx) => {
        keys.forEach((key, i) => {
          if (!isPublicKeyLine(key)) {
            ctx.addIssue({ code: 'custom', message: `could not parse key nr. ${i}` });
          }
        });
      }),
    // the SQL schemas' varchar(255): longer would fail there as a database error
    home_dir: absolutePath.max(255, { message: 'must be at most 255 characters' }),
    uid: count.max(65535).default(0),
    gid: count.max(65535).default(0),
    max_sessions: count.default(0),
    quota_size: count.default(0),
    quota_files: count.default(0),
    permissions,
    // kept by the server and ignored here: a user read back and sent again
    // passes, even with a count that drifted below zero (the reference
    // server stores such counts)
    used_quota_size: z.number().int().optional(),
    used_quota_files: z.number().int().optional(),
    last_quota_update: count.optional(),
    upload_bandwidth: count.default(0),
    download_bandwidth: count.default(0),
    last_login: count.optional(),
    filters: z
      .object({
        allowed_ip: cidrList.default([]),
        denied_ip: cidrList.default([]),
        denied_login_methods: unsupportedList,
        file_extensions: unsupportedList,
      })
      .transform(({ allowed_ip, denied_ip }) => ({ allowed_ip, denied_ip }))
      .default({ allowed_ip: [], denied_ip: [] }),
    filesystem: FilesystemSchema,
    virtual_folders: unsupportedList,
  })
  .refine((u) => Boolean(u.password) || u.public_keys.length > 0, {
    message: 'please set a password or at least a public_key',
  })
  .transform(({ virtual_folders: _none, ...user }) => user);

export type UserInput = z.input<typeof UserInputSchema>;
type ValidUserInput = z.output<typeof UserInputSchema>;

/** A stored user. `password` is the stored hash; it never leaves the server. */
export interface User {
  readonly id: number;
  readonly status: 0 | 1;
  readonly username: string;
  readonly expiration_date: number;
  readonly password: string;
  readonly public_keys: readonly string[];
  readonly home_dir: string;
  readonly uid: number;
  readonly gid: number;
  readonly max_sessions: number;
  readonly quota_size: number;
  readonly quota_files: number;
  readonly permissions: Readonly<Record<string, readonly Permission[]>>;
  readonly used_quota_size: number;
  readonly used_quota_files: number;
  readonly last_quota_update: number;
  readonly upload_bandwidth: number;
  readonly download_bandwidth: number;
  readonly last_login: number;
  readonly filters: {
    readonly allowed_ip: readonly string[];
    readonly denied_ip: readonly string[];
  };
  readonly filesystem: Filesystem;
}

/**
 * A user's files in an S3-compatible bucket (`filesystem.provider` 1), with
 * the reference server's field names. `access_secret` is stored encrypted
 * (`$aes$...`): {@link AccountSecrets} decrypts it for the storage.
 */
export interface S3Config {
  readonly bucket: string;
  /** `''` or a relative path ending with `/`: the user's root in the bucket. */
  readonly key_prefix: string;
  readonly region: string;
  readonly access_key: string;
  readonly access_secret: string;
  readonly endpoint: string;
  readonly storage_class: string;
  /** MiB per part of a multipart upload; 0 takes the default (5). */
  readonly upload_part_size: number;
  /** Parts of one upload sent at once; 0 takes the default (2). */
  readonly upload_concurrency: number;
}

/**
 * A user's files in a Google Cloud Storage bucket (`filesystem.provider` 2).
 * The service account key is not a field: it is kept in a file of the
 * credentials directory (see {@link AccountSecrets}).
 */
export interface GcsConfig {
  readonly bucket: string;
  readonly key_prefix: string;
  /** 1: the environment's default credentials, not a stored key. */
  readonly automatic_credentials: 0 | 1;
  readonly storage_class: string;
}

/** Where a user's files are kept: 0 local disk, 1 S3, 2 Google Cloud Storage. */
export type Filesystem =
  | { readonly provider: 0 }
  | { readonly provider: 1; readonly s3config: S3Config }
  | { readonly provider: 2; readonly gcsconfig: GcsConfig };

/**
 * The filesystem of a user as the reference server writes it out: both
 * configs, without their empty fields, the unused one empty. The GCS key is
 * never there: it is write-only.
 */
export interface FilesystemJson {
  readonly provider: Filesystem['provider'];
  readonly s3config: S3ConfigJson;
  readonly gcsconfig: GcsConfigJson;
}

/** A user as the reference server writes it out, with its password hash: a user of a dump. */
export type UserJson = Omit<User, 'filesystem'> & { readonly filesystem: FilesystemJson };

/** A user as it may be shown: everything but the password hash. */
export type PublicUser = Omit<UserJson, 'password'>;

/**
 * `user` as the reference server writes it out, in its key order: the S3
 * secret in its stored, encrypted form.
 */
export function toUserJson(user: User): UserJson {
  const { provider } = user.filesystem;
  return { ...user, filesystem: { provider, ...filesystemConfigsJson(user.filesystem) } };
}

/**
 * `user` as the API, the provider actions and the web admin show it: no
 * password hash, and an S3 secret of the reference server without the key
 * stored with it.
 */
export function toPublicUser(user: User): PublicUser {
  const { password: _secret, ...rest } = toUserJson(user);
  const { s3config } = rest.filesystem;
  if (s3config.access_secret === undefined) return rest;
  const { access_secret: stored, ...others } = s3config;
  const access_secret = shownS3Secret(stored);
  const shown = access_secret === '' ? others : { ...s3config, access_secret };
  return { ...rest, filesystem: { ...rest.filesystem, s3config: shown } };
}

/** Every problem of `input`, each as `field: message`, or the validated user. */
export function parseUserInput(
  input: unknown,
): { ok: true; user: ValidUserInput } | { ok: false; problems: string[] } {
  const result = UserInputSchema.safeParse(input);
  if (result.success) return { ok: true, user: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const where = issue.path.map(String).join('.');
      return where ? `${where}: ${issue.message}` : issue.message;
    }),
  };
}

export type { ValidUserInput };
