import { posix } from 'node:path';
import { z } from 'zod';
import { isEncryptedSecret } from './account-secrets.js';
import { isHttpUrl } from './action-runner.js';
import type { Filesystem, GcsConfig, S3Config } from './user.js';

// The `filesystem` of a user: where its files are kept. Input and output
// follow the reference server's JSON; the secrets it holds are handled by
// AccountSecrets (account-secrets.ts), not here.

/**
 * `key_prefix` as the reference server stores it: `''`, or a relative posix
 * path cleaned and ending with `/`. Parts that would reach outside the
 * prefix (`..`) and characters that are not path characters are refused.
 */
function keyPrefixOf(
  raw: string,
  config: 's3config' | 'gcsconfig',
  ctx: z.RefinementCtx,
): string | undefined {
  if (raw === '') return '';
  const refuse = (why: string) => {
    const where = config === 's3config' ? 's3config' : 'GCS config';
    ctx.addIssue({
      code: 'custom',
      path: ['key_prefix'],
      message: `could not validate ${where}: ${why}`,
    });
    return undefined;
  };
  if (raw.startsWith('/')) return refuse('key_prefix cannot start with /');
  if (raw.includes('\\') || raw.includes('\0')) {
    return refuse('key_prefix cannot contain a backslash or a NUL character');
  }
  if (raw.split('/').includes('..')) return refuse('key_prefix cannot contain ".." parts');
  const cleaned = posix.normalize(raw).replace(/\/+$/, '');
  if (cleaned === '.' || cleaned === '') {
    return refuse('key_prefix cannot be the bucket root: leave it empty instead');
  }
  return `${cleaned}/`;
}

const text = z.string().default('');
const wholeNumber = z.number().int().default(0);
const keyPrefixText = text.describe(
  "The user's root in the bucket: relative (no leading `/`, no `..`), stored cleaned and ending with `/`; empty: the whole bucket.",
);

const S3ConfigSchema = z
  .object({
    bucket: text,
    key_prefix: keyPrefixText,
    region: text,
    access_key: text,
    access_secret: text.describe(
      "Plain text, stored encrypted with the server's key; or an encrypted value as the API returns it (kept), or as the reference server's dumps hold it (`$aes$<key>$<data>`, encrypted again with this server's key). On an update, empty keeps the stored secret when `access_key` is given.",
    ),
    endpoint: text.describe('The http(s) URL of an S3-compatible server; empty: AWS.'),
    storage_class: text,
    upload_part_size: wholeNumber.describe(
      'MiB per part of a multipart upload: 0 (the default, 5) or from 5 to 5000.',
    ),
    upload_concurrency: wholeNumber.describe(
      'Parts of one upload sent at once: 0 (the default, 2) to 64.',
    ),
  })
  .transform((c, ctx): S3Config => {
    const problem = (field: keyof S3Config, why: string) =>
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `could not validate s3config: ${why}`,
      });
    if (c.bucket === '') problem('bucket', 'bucket cannot be empty');
    if (c.region === '') problem('region', 'region cannot be empty');
    if (c.access_key === '' && c.access_secret !== '') {
      problem('access_key', 'access_key cannot be empty with access_secret not empty');
    }
    if (c.access_secret === '' && c.access_key !== '') {
      problem('access_secret', 'access_secret cannot be empty with access_key not empty');
    }
    if (c.endpoint !== '' && !isHttpUrl(c.endpoint)) {
      problem('endpoint', 'endpoint must be an http or https URL');
    }
    if (c.upload_part_size !== 0 && (c.upload_part_size < 5 || c.upload_part_size > 5000)) {
      problem('upload_part_size', 'upload_part_size must be 0 (the default) or from 5 to 5000 MiB');
    }
    if (c.upload_concurrency < 0 || c.upload_concurrency > 64) {
      problem('upload_concurrency', 'upload_concurrency must be from 0 (the default) to 64');
    }
    return { ...c, key_prefix: keyPrefixOf(c.key_prefix, 's3config', ctx) ?? c.key_prefix };
  });

const GcsConfigSchema = z
  .object({
    bucket: text,
    key_prefix: keyPrefixText,
    // write-only: AccountSecrets stores it in a file; checked here so that
    // every problem of a user is named at once
    credentials: text.describe(
      "The service account's JSON key, base64-encoded: written to a file of the server's credentials directory, never to the database, never returned. Needed unless `automatic_credentials` is 1 or a key is stored already.",
    ),
    automatic_credentials: z
      .union([z.literal(0), z.literal(1)], {
        error: 'must be 0 (a stored key) or 1 (the environment credentials)',
      })
      .default(0),
    storage_class: text,
  })
  .transform((c, ctx): GcsConfig => {
    if (c.bucket === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['bucket'],
        message: 'could not validate GCS config: bucket cannot be empty',
      });
    }
    if (c.credentials !== '') {
      const decoded = decodeGcsCredentials(c.credentials);
      if (!decoded.ok) {
        ctx.addIssue({ code: 'custom', path: ['credentials'], message: decoded.problem });
      }
    }
    const { credentials: _writeOnly, ...config } = c;
    return { ...config, key_prefix: keyPrefixOf(c.key_prefix, 'gcsconfig', ctx) ?? c.key_prefix };
  });

// The reference server writes both configs for every user, the unused ones
// empty: whatever the unused one holds is ignored.
const ignored = z.unknown().optional();

/** The `filesystem` of a user's input; missing, the local disk. */
export const FilesystemSchema = z
  .discriminatedUnion(
    'provider',
    [
      z
        .object({ provider: z.literal(0), s3config: ignored, gcsconfig: ignored })
        .transform((): Filesystem => ({ provider: 0 })),
      z
        .object({
          provider: z.literal(1),
          s3config: S3ConfigSchema.prefault({}),
          gcsconfig: ignored,
        })
        .transform(({ s3config }): Filesystem => ({ provider: 1, s3config })),
      z
        .object({
          provider: z.literal(2),
          s3config: ignored,
          gcsconfig: GcsConfigSchema.prefault({}),
        })
        .transform(({ gcsconfig }): Filesystem => ({ provider: 2, gcsconfig })),
    ],
    { error: 'must be 0 (local disk), 1 (S3) or 2 (Google Cloud Storage)' },
  )
  .default({ provider: 0 })
  .describe(
    "Where the user's files are kept: `provider` 0 the local disk, 1 S3-compatible object storage (`s3config`), 2 Google Cloud Storage (`gcsconfig`). The config of another provider is ignored.",
  );

/**
 * The JSON of a GCS service account key from its base64 form, as the API
 * takes it (`gcsconfig.credentials`), or why it is not one.
 */
export function decodeGcsCredentials(
  base64: string,
): { ok: true; json: string } | { ok: false; problem: string } {
  const fail = (why: string) => ({
    ok: false as const,
    problem: `could not validate GCS credentials: ${why}`,
  });
  // strict, as Go's base64.StdEncoding: Buffer.from skips what it cannot read
  if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
    return fail('not valid base64');
  }
  const json = Buffer.from(base64, 'base64').toString('utf8');
  try {
    const key: unknown = JSON.parse(json);
    if (typeof key !== 'object' || key === null || Array.isArray(key)) {
      return fail('not a JSON object');
    }
  } catch (err) {
    return fail(`not JSON: ${(err as Error).message}`);
  }
  return { ok: true, json };
}

/** The S3 settings as the reference server writes them: empty fields left out (Go's omitempty). */
export type S3ConfigJson = Partial<S3Config>;
/** The GCS settings as the reference server writes them, never with the key. */
export type GcsConfigJson = Partial<GcsConfig>;

// Every field of each config, with its empty value, in the reference server's key order.
const S3_EMPTY: S3Config = {
  bucket: '',
  key_prefix: '',
  region: '',
  access_key: '',
  access_secret: '',
  endpoint: '',
  storage_class: '',
  upload_part_size: 0,
  upload_concurrency: 0,
};
const GCS_EMPTY: GcsConfig = {
  bucket: '',
  key_prefix: '',
  automatic_credentials: 0,
  storage_class: '',
};

/** `config` without its empty fields, in the order of `empty`. */
function omitEmpty<T extends object>(config: T | undefined, empty: T): Partial<T> {
  const result: Partial<T> = {};
  if (config === undefined) return result;
  for (const key of Object.keys(empty) as (keyof T)[]) {
    if (config[key] !== empty[key]) result[key] = config[key];
  }
  return result;
}

/** Each field of `empty` from `raw` when of the same type, else empty. */
function pick<T extends object>(raw: unknown, empty: T): T {
  const source = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const result = { ...empty };
  for (const key of Object.keys(empty) as (keyof T & string)[]) {
    const value = source[key];
    if (typeof value === typeof empty[key]) result[key] = value as T[typeof key];
  }
  return result;
}

/** The configs of `filesystem` in the reference server's JSON shape and key order. */
export function filesystemConfigsJson(filesystem: Filesystem): {
  s3config: S3ConfigJson;
  gcsconfig: GcsConfigJson;
} {
  return {
    s3config: omitEmpty(filesystem.provider === 1 ? filesystem.s3config : undefined, S3_EMPTY),
    gcsconfig: omitEmpty(filesystem.provider === 2 ? filesystem.gcsconfig : undefined, GCS_EMPTY),
  };
}

/**
 * An S3 secret as it may be shown: the reference server's own stored form,
 * `$aes$<key>$<data>`, holds its key, which is left out as that server does;
 * a secret stored in plain text (a users file written by hand) is not shown
 * at all (`''`).
 */
export function shownS3Secret(stored: string): string {
  if (!isEncryptedSecret(stored)) return '';
  const parts = stored.split('$');
  return parts.length === 4 ? `$aes$${parts[3]}` : stored;
}

/**
 * A stored filesystem, as written by this server or the reference one (whose
 * unused configs are there, empty): only the fields of its provider, each of
 * its type. Not validated again: what was stored is what is used.
 */
export function storedFilesystem(raw: unknown): Filesystem {
  const value = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  if (value.provider === 1) return { provider: 1, s3config: pick(value.s3config, S3_EMPTY) };
  if (value.provider === 2) {
    const gcsconfig = pick(value.gcsconfig, GCS_EMPTY);
    return {
      provider: 2,
      gcsconfig: {
        ...gcsconfig,
        automatic_credentials: gcsconfig.automatic_credentials === 1 ? 1 : 0,
      },
    };
  }
  return { provider: 0 };
}
