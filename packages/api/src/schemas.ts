import { PERMISSIONS, type PublicUser } from '@sftpgo/provider';
import { z } from 'zod';
import type { QuotaScanStatus } from './quota-scans.js';

// The bodies the v1 API answers with, for its OpenAPI document. The input of
// a user is the provider's own `UserInputSchema`.

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
    filesystem: z
      .object({
        provider: z.literal(0),
        s3config: z.object({}).strict(),
        gcsconfig: z.object({}).strict(),
      })
      .strict()
      .describe('0, the local filesystem: the S3 and GCS settings are empty.'),
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
