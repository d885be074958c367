// The flags of `sftpgo api users add|update` made into a user body: pure,
// so that each rule can be tested without a server.
import type { ApiFilesystem, ApiUserInput } from './client.js';

/** A command line the command cannot run with: exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The last value of a flag given more than once. */
export function lastOf(value: unknown): unknown {
  return Array.isArray(value) ? value.at(-1) : value;
}

/** The values of a repeatable flag, however often and however many at a time it was given. */
export function listOf(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** A flag's whole number, at least 0 (and at most `max`), or undefined when not given. */
export function wholeNumberFlag(name: string, value: unknown, max?: number): number | undefined {
  const one = lastOf(value);
  if (one === undefined) return undefined;
  const text = String(one).trim();
  if (!/^\d{1,15}$/.test(text) || (max !== undefined && Number(text) > max)) {
    const range = max === undefined ? 'a whole number' : `a whole number from 0 to ${max}`;
    throw new UsageError(`--${name}: expected ${range}, got ${JSON.stringify(one)}`);
  }
  return Number(text);
}

/**
 * Permissions as `DIR:PERM,PERM`, one directory per value: `/:*`,
 * `/dir:list,download`. The reference client's `DIR::PERMS` is taken too.
 *
 * @example
 * parsePermissions(['/:*', '/in:list,upload']); // { '/': ['*'], '/in': ['list', 'upload'] }
 */
export function parsePermissions(values: readonly string[]): Record<string, string[]> {
  const permissions: Record<string, string[]> = {};
  for (const value of values) {
    const colon = value.lastIndexOf(':');
    let dir = colon > 0 ? value.slice(0, colon).trim() : '';
    if (dir.endsWith(':')) dir = dir.slice(0, -1);
    const list = value
      .slice(colon + 1)
      .split(',')
      .map((perm) => perm.trim())
      .filter((perm) => perm !== '');
    if (!dir.startsWith('/') || list.length === 0) {
      throw new UsageError(
        `--permissions: expected DIR:PERM[,PERM...] as "/:*" or "/dir:list,download", got ${JSON.stringify(value)}`,
      );
    }
    permissions[dir] = list;
  }
  return permissions;
}

/**
 * `YYYY-MM-DD` as the ms of that day's midnight UTC, or `0` for never.
 *
 * @example
 * parseExpirationDate('2030-01-31'); // 1896048000000
 */
export function parseExpirationDate(value: string): number {
  const text = value.trim();
  if (text === '0' || text === '') return 0;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match) {
    const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
    const ms = Date.UTC(year, month - 1, day);
    const date = new Date(ms);
    if (date.getUTCMonth() === month - 1 && date.getUTCDate() === day && ms > 0) return ms;
  }
  throw new UsageError(
    `--expiration-date: expected YYYY-MM-DD or 0 (never), got ${JSON.stringify(value)}`,
  );
}

/** The user flags, by their names on the command line. */
export interface UserFlags {
  readonly username?: unknown;
  readonly password?: unknown;
  readonly 'public-key'?: unknown;
  readonly 'home-dir'?: unknown;
  readonly uid?: unknown;
  readonly gid?: unknown;
  readonly 'max-sessions'?: unknown;
  readonly 'quota-size'?: unknown;
  readonly 'quota-files'?: unknown;
  readonly permissions?: unknown;
  readonly 'upload-bandwidth'?: unknown;
  readonly 'download-bandwidth'?: unknown;
  readonly status?: unknown;
  readonly 'expiration-date'?: unknown;
  readonly 'allowed-ip'?: unknown;
  readonly 'denied-ip'?: unknown;
  readonly 'fs-provider'?: unknown;
  readonly 's3-bucket'?: unknown;
  readonly 's3-region'?: unknown;
  readonly 's3-access-key'?: unknown;
  readonly 's3-access-secret'?: unknown;
  readonly 's3-endpoint'?: unknown;
  readonly 's3-storage-class'?: unknown;
  readonly 's3-key-prefix'?: unknown;
  readonly 's3-upload-part-size'?: unknown;
  readonly 's3-upload-concurrency'?: unknown;
  readonly 'gcs-bucket'?: unknown;
  readonly 'gcs-automatic-credentials'?: unknown;
  readonly 'gcs-storage-class'?: unknown;
  readonly 'gcs-key-prefix'?: unknown;
}

/** The last value of a flag as text, or undefined when not given. */
function textFlag(value: unknown): string | undefined {
  const one = lastOf(value);
  return one === undefined ? undefined : String(one);
}

/** A flag that is one of `choices`, or undefined when not given. */
function choiceFlag<T extends string>(
  name: string,
  value: unknown,
  choices: readonly T[],
): T | undefined {
  const one = textFlag(value);
  if (one === undefined || (choices as readonly string[]).includes(one))
    return one as T | undefined;
  throw new UsageError(`--${name}: expected ${choices.join(' or ')}, got ${JSON.stringify(one)}`);
}

/**
 * The `filesystem` of the storage flags given (the names of the reference
 * server's portable mode), or undefined when none is. `gcsCredentials` is
 * the text of the `--gcs-credentials-file` read by the caller: a service
 * account's JSON key, sent base64-encoded as the API takes it.
 */
export function filesystemFromFlags(
  flags: UserFlags,
  gcsCredentials?: string,
): ApiFilesystem | undefined {
  const filesystem: ApiFilesystem = {};
  const provider = choiceFlag('fs-provider', flags['fs-provider'], ['0', '1', '2'] as const);
  if (provider !== undefined) filesystem.provider = Number(provider) as 0 | 1 | 2;
  const s3: NonNullable<ApiFilesystem['s3config']> = {};
  for (const field of [
    'bucket',
    'region',
    'access_key',
    'access_secret',
    'endpoint',
    'storage_class',
    'key_prefix',
  ] as const) {
    const value = textFlag(flags[`s3-${field.replaceAll('_', '-')}` as keyof UserFlags]);
    if (value !== undefined) s3[field] = value;
  }
  const partSize = wholeNumberFlag('s3-upload-part-size', flags['s3-upload-part-size'], 5000);
  if (partSize !== undefined) s3.upload_part_size = partSize;
  const concurrency = wholeNumberFlag('s3-upload-concurrency', flags['s3-upload-concurrency'], 64);
  if (concurrency !== undefined) s3.upload_concurrency = concurrency;
  const gcs: NonNullable<ApiFilesystem['gcsconfig']> = {};
  for (const field of ['bucket', 'storage_class', 'key_prefix'] as const) {
    const value = textFlag(flags[`gcs-${field.replaceAll('_', '-')}` as keyof UserFlags]);
    if (value !== undefined) gcs[field] = value;
  }
  const automatic = choiceFlag('gcs-automatic-credentials', flags['gcs-automatic-credentials'], [
    '0',
    '1',
  ] as const);
  if (automatic !== undefined) gcs.automatic_credentials = automatic === '1' ? 1 : 0;
  if (gcsCredentials !== undefined)
    gcs.credentials = Buffer.from(gcsCredentials).toString('base64');
  if (Object.keys(s3).length > 0) filesystem.s3config = s3;
  if (Object.keys(gcs).length > 0) filesystem.gcsconfig = gcs;
  return Object.keys(filesystem).length > 0 ? filesystem : undefined;
}

/** The non-empty values of a list flag; `''` alone empties the list. */
const nonEmpty = (values: string[]) => values.map((v) => v.trim()).filter((v) => v !== '');

/**
 * The body of the flags that were given, and only those: what `users add`
 * posts and `users update` puts. The IP lists come as `filters` with only
 * the lists given; {@link mergeFilters} completes them for an update. The
 * storage flags come as `filesystem` (see {@link filesystemFromFlags}).
 */
export function userFromFlags(flags: UserFlags, gcsCredentials?: string): ApiUserInput {
  const user: ApiUserInput = {};
  const text = textFlag;
  const username = text(flags.username);
  if (username !== undefined) user.username = username;
  const password = text(flags.password);
  if (password !== undefined) user.password = password;
  const keys = listOf(flags['public-key']);
  if (keys !== undefined) user.public_keys = nonEmpty(keys);
  const home = text(flags['home-dir']);
  if (home !== undefined) user.home_dir = home;
  const numbers = [
    ['uid', 'uid', 65535],
    ['gid', 'gid', 65535],
    ['max-sessions', 'max_sessions'],
    ['quota-size', 'quota_size'],
    ['quota-files', 'quota_files'],
    ['upload-bandwidth', 'upload_bandwidth'],
    ['download-bandwidth', 'download_bandwidth'],
  ] as const;
  for (const [flag, field, max] of numbers) {
    const value = wholeNumberFlag(flag, flags[flag], max);
    if (value !== undefined) user[field] = value;
  }
  const permissions = listOf(flags.permissions);
  if (permissions !== undefined) user.permissions = parsePermissions(permissions);
  const status = text(flags.status);
  if (status !== undefined) {
    if (status !== '0' && status !== '1') {
      throw new UsageError(`--status: expected 1 (enabled) or 0 (disabled), got ${status}`);
    }
    user.status = status === '1' ? 1 : 0;
  }
  const expiration = text(flags['expiration-date']);
  if (expiration !== undefined) user.expiration_date = parseExpirationDate(expiration);
  const allowed = listOf(flags['allowed-ip']);
  const denied = listOf(flags['denied-ip']);
  if (allowed !== undefined || denied !== undefined) {
    user.filters = {};
    if (allowed !== undefined) user.filters.allowed_ip = nonEmpty(allowed);
    if (denied !== undefined) user.filters.denied_ip = nonEmpty(denied);
  }
  const filesystem = filesystemFromFlags(flags, gcsCredentials);
  if (filesystem) user.filesystem = filesystem;
  return user;
}

/**
 * Earlier versions of this server replaced `filters` as a whole: with the
 * stored lists sent again, an update giving one IP list keeps the other one
 * on any server.
 */
export function mergeFilters(
  update: ApiUserInput,
  stored: { filters?: { allowed_ip?: string[]; denied_ip?: string[] } },
): ApiUserInput {
  if (!update.filters) return update;
  return {
    ...update,
    filters: {
      allowed_ip: update.filters.allowed_ip ?? stored.filters?.allowed_ip ?? [],
      denied_ip: update.filters.denied_ip ?? stored.filters?.denied_ip ?? [],
    },
  };
}
