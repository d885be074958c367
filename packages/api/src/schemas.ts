import { PERMISSIONS, type PublicUser, UserInputSchema } from '@sftpgo/provider';
import { z } from 'zod';
import type { QuotaScanStatus } from './quota-scans.js';

// The bodies of the v1 API, for its OpenAPI document. The input of a user is
// the provider's own `UserInputSchema`.

const count = z.number().int().nonnegative();
const epochMs = count.describe('Milliseconds since the epoch.');
const epochMsOrNever = count.describe('Milliseconds since the epoch; 0 for never.');

export const ApiResponseSchema = z
  .object({
    error: z.string().describe('What went wrong; empty on success.'),
    message: z.string().describe('What was done; often empty on errors.'),
    status: z.number().int().describe('The HTTP status of the answer.'),
  })
  .strict()
  .describe('A message or an error, with the reference server key order.');

export const VersionInfoSchema = z
  .object({ version: z.string(), build_date: z.string(), commit_hash: z.string() })
  .strict();

const optionalText = z.string().optional();

const S3ConfigJsonSchema = z
  .object({
    bucket: optionalText,
    key_prefix: optionalText.describe("The user's root in the bucket: relative, ending with `/`."),
    region: optionalText,
    access_key: optionalText,
    access_secret: optionalText.describe(
      "The secret as stored, encrypted with the server's key (`$aes$...`): never in plain text, never with the key. Sent back unchanged, it keeps the stored secret.",
    ),
    endpoint: optionalText.describe('The URL of an S3-compatible server; absent: AWS.'),
    storage_class: optionalText,
    upload_part_size: count.optional().describe('MiB per part of a multipart upload.'),
    upload_concurrency: count.optional().describe('Parts of one upload sent at once.'),
  })
  .strict()
  .describe('The S3 settings of a user of S3; empty otherwise. Empty fields are left out.');

const GcsConfigJsonSchema = z
  .object({
    bucket: optionalText,
    key_prefix: optionalText.describe("The user's root in the bucket: relative, ending with `/`."),
    automatic_credentials: z
      .literal(1)
      .optional()
      .describe("1: the environment's credentials are used, not a stored key."),
    storage_class: optionalText,
  })
  .strict()
  .describe(
    'The Google Cloud Storage settings of a user of GCS; empty otherwise. Empty fields are left out. The service account key (`credentials`) is write-only: it is never returned.',
  );

const FilesystemJsonSchema = z
  .object({
    provider: z
      .union([z.literal(0), z.literal(1), z.literal(2)])
      .describe('0 local disk, 1 S3-compatible object storage, 2 Google Cloud Storage.'),
    s3config: S3ConfigJsonSchema,
    gcsconfig: GcsConfigJsonSchema,
  })
  .strict()
  .describe("Where the files of the user are kept, with the reference server's fields.");

export const PublicUserSchema = z
  .object({
    id: z.number().int().positive(),
    status: z.union([z.literal(0), z.literal(1)]).describe('1 enabled, 0 disabled.'),
    username: z.string(),
    expiration_date: epochMsOrNever,
    public_keys: z.array(z.string()),
    home_dir: z.string(),
    uid: count.max(65535),
    gid: count.max(65535),
    max_sessions: count.describe('0 for no limit.'),
    quota_size: count.describe('Bytes; 0 for no limit.'),
    quota_files: count.describe('0 for no limit.'),
    permissions: z.record(z.string(), z.array(z.enum(PERMISSIONS))),
    used_quota_size: count,
    used_quota_files: count,
    last_quota_update: epochMsOrNever,
    upload_bandwidth: count.describe('KB/s; 0 for no limit.'),
    download_bandwidth: count.describe('KB/s; 0 for no limit.'),
    last_login: epochMsOrNever,
    filters: z.object({ allowed_ip: z.array(z.string()), denied_ip: z.array(z.string()) }).strict(),
    filesystem: FilesystemJsonSchema,
  })
  .strict()
  .describe('A stored user: never with its password.');

export const ConnectionStatusSchema = z
  .object({
    username: z.string(),
    connection_id: z.string(),
    client_version: z
      .string()
      .describe(
        "The client's whole identification string: `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10`.",
      ),
    remote_address: z
      .string()
      .describe(
        'Address and port: `127.0.0.1:54321`, `[2001:db8::1]:54321`; an IPv4 client as plain IPv4, never `::ffff:`-mapped.',
      ),
    connection_time: epochMs,
    last_activity: epochMs,
    protocol: z.enum(['SFTP', 'SCP', 'SSH']),
    ssh_command: z.string(),
    active_transfers: z.array(
      z
        .object({
          operation_type: z.enum(['upload', 'download']),
          path: z.string(),
          start_time: epochMs,
          size: count.describe('Bytes moved so far.'),
          last_activity: epochMs,
          speed: z.number().nonnegative().describe('Bytes per second since the start.'),
        })
        .strict(),
    ),
  })
  .strict()
  .describe('A live SSH connection.');

/**
 * The body of a user's update: the input of a user, every field optional,
 * applied over the stored user. A schema of its own, for the document.
 */
export const UserUpdateSchema = UserInputSchema.describe(
  'The fields to change; the others keep their stored values. `id`, if given, must be that of the path.',
);

export const QuotaScanSchema = z
  .object({ username: z.string(), start_time: epochMs })
  .strict()
  .describe('A quota scan under way.');

export const QuotaScanRequestSchema = z
  .looseObject({ username: z.string().min(1) })
  .describe('A user JSON: only `username` is read.');

// The schemas must describe what the code sends: a field added to a type and
// not to its schema, or of another type, fails type checking here.
type SameKeys<A, B> = [keyof A] extends [keyof B]
  ? [keyof B] extends [keyof A]
    ? true
    : false
  : false;
type Assert<T extends true> = T;
export type SchemasMatchTypes = [
  Assert<SameKeys<PublicUser, z.output<typeof PublicUserSchema>>>,
  Assert<z.output<typeof PublicUserSchema> extends PublicUser ? true : false>,
  Assert<SameKeys<QuotaScanStatus, z.output<typeof QuotaScanSchema>>>,
  Assert<z.output<typeof QuotaScanSchema> extends QuotaScanStatus ? true : false>,
];
