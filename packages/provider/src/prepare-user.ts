import { hashPassword, isHashedPassword } from '@sftpgo/auth';
import { ValidationError } from './errors.js';
import { parseUserInput, type User, type UserInput } from './user.js';

/** The fields of a user that the server maintains, never the client. */
export type UsageFields = Pick<
  User,
  'used_quota_size' | 'used_quota_files' | 'last_quota_update' | 'last_login'
>;

export const NO_USAGE: UsageFields = {
  used_quota_size: 0,
  used_quota_files: 0,
  last_quota_update: 0,
  last_login: 0,
};

/**
 * Validates `input` and hashes a plain password: the stored form of a user,
 * without its id, with the usage fields given (zero for a new user).
 * @throws {ValidationError} naming every problem of `input`
 */
export async function prepareUser(
  input: UserInput,
  usage: UsageFields = NO_USAGE,
): Promise<Omit<User, 'id'>> {
  const parsed = parseUserInput(input);
  if (!parsed.ok) throw new ValidationError(parsed.problems);
  const v = parsed.user;
  const password =
    v.password && !isHashedPassword(v.password)
      ? await hashPassword(v.password)
      : (v.password ?? '');
  return {
    status: v.status,
    username: v.username,
    expiration_date: v.expiration_date,
    password,
    public_keys: v.public_keys,
    home_dir: v.home_dir,
    uid: v.uid,
    gid: v.gid,
    max_sessions: v.max_sessions,
    quota_size: v.quota_size,
    quota_files: v.quota_files,
    permissions: v.permissions,
    used_quota_size: usage.used_quota_size,
    used_quota_files: usage.used_quota_files,
    last_quota_update: usage.last_quota_update,
    upload_bandwidth: v.upload_bandwidth,
    download_bandwidth: v.download_bandwidth,
    last_login: usage.last_login,
    filters: v.filters,
    filesystem: v.filesystem,
  };
}

/** The usage fields of a stored user. */
export function usageOf(user: User): UsageFields {
  const { used_quota_size, used_quota_files, last_quota_update, last_login } = user;
  return { used_quota_size, used_quota_files, last_quota_update, last_login };
}

/** @throws {ValidationError} when `when` cannot be a last-login time */
export function checkLastLogin(when: number): void {
  if (!Number.isSafeInteger(when) || when < 0) {
    throw new ValidationError(['last_login: must be a non-negative integer']);
  }
}
