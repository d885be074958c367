import { posix } from 'node:path';
import { hashedPasswordProblem, isHashedPassword } from '@sftpgo/auth';
import type { ApiUserInput } from '../client.js';

/** A converted user, ready for `POST /api/v1/user`: its password is the hash it had. */
export interface ImportedUser extends ApiUserInput {
  username: string;
  password: string;
  home_dir: string;
  uid: number;
  gid: number;
  permissions: Record<string, string[]>;
  status: 0 | 1;
}

/** A user of the source that is not converted, and why. */
export interface SkippedUser {
  readonly username: string;
  readonly reason: string;
}

/** Something of a converted user's source account that SFTPGo has no field for. */
export interface ImportWarning {
  readonly username: string;
  readonly message: string;
}

export interface ImportResult {
  readonly users: ImportedUser[];
  readonly skipped: SkippedUser[];
  readonly warnings: ImportWarning[];
}

export interface ImportOptions {
  /** Only accounts with a uid at least this; none by default. */
  readonly minUid?: number;
  /** Only accounts with a uid at most this; none by default. */
  readonly maxUid?: number;
  /** Only these accounts; every one by default. Names not found are warned about. */
  readonly usernames?: readonly string[];
  /** Home directories made of this and the username, instead of the source's. */
  readonly homeBase?: string;
  /** The permissions of every converted user; `{"/": ["*"]}` by default. */
  readonly permissions?: Readonly<Record<string, readonly string[]>>;
  /** The time of the conversion, in ms: when a Linux account stopped being usable. */
  readonly now?: number;
}

export const DEFAULT_PERMISSIONS: Readonly<Record<string, readonly string[]>> = { '/': ['*'] };

/** The usernames the server accepts (the data provider's rule). */
const USERNAME = /^[\w.@~-]{1,255}$/;
/** The largest uid and gid of a user. */
const MAX_ID = 65535;

/** The crypt(3) schemes @sftpgo/auth does not verify, named for the report. */
const UNSUPPORTED: readonly [RegExp, string][] = [
  [/^\$y\$/, 'yescrypt'],
  [/^\$gy\$/, 'gost-yescrypt'],
  [/^\$7\$/, 'scrypt'],
  [/^\$5\$/, 'sha256crypt'],
  [/^\$argon2i\$/, 'argon2i'],
  [/^\$argon2d\$/, 'argon2d'],
  [/^\$sha1\$/, 'sha1crypt'],
  [/^\$md5[$,]/, 'Sun md5crypt'],
  [/^\$3\$/, 'NT hash'],
  [/^_[./0-9A-Za-z]{19}$/, 'BSDi extended DES'],
  [/^[./0-9A-Za-z]{13}$/, 'DES crypt'],
];

/**
 * Why a stored password cannot be imported, or undefined when @sftpgo/auth
 * verifies it: only such hashes are kept, so that an imported user logs in
 * with the password it had.
 */
export function passwordProblem(hash: string): string | undefined {
  if (hash === '') return 'no password';
  if (hash.startsWith('!') || hash.startsWith('*')) return 'locked account';
  // the server refuses, with 400, a hash that @sftpgo/auth cannot check
  if (isHashedPassword(hash)) {
    if (hashedPasswordProblem(hash) === undefined) return undefined;
    const rounds = /^\$6\$rounds=(\d+)\$/.exec(hash)?.[1];
    if (rounds !== undefined && (Number(rounds) < 1000 || Number(rounds) > 1_000_000)) {
      return `unsupported password hash (sha512crypt with ${rounds} rounds)`;
    }
    return 'malformed password hash';
  }
  const scheme = UNSUPPORTED.find(([shape]) => shape.test(hash))?.[1];
  return scheme ? `unsupported password hash (${scheme})` : 'unknown password hash format';
}

/** Whether an account is one of those asked for (uid range, names). */
export function isSelected(username: string, uid: number, options: ImportOptions): boolean {
  if (options.minUid !== undefined && uid < options.minUid) return false;
  if (options.maxUid !== undefined && uid > options.maxUid) return false;
  if (options.usernames && options.usernames.length > 0) {
    return options.usernames.includes(username);
  }
  return true;
}

/** A decimal field of an account line: a whole number, or undefined. */
export function wholeNumber(field: string | undefined): number | undefined {
  if (field === undefined || !/^\d{1,15}$/.test(field.trim())) return undefined;
  return Number(field.trim());
}

/**
 * The common part of every converted user, or why the account is skipped:
 * the username, ids and home the server accepts, and a verifiable password.
 */
export function baseUser(
  account: { username: string; hash: string; uid: number; gid: number; home: string },
  options: ImportOptions,
): ImportedUser | SkippedUser {
  const { username, hash, uid, gid } = account;
  if (!USERNAME.test(username) || username === '.' || username === '..') {
    return { username, reason: 'username not accepted (letters, digits and . _ - @ ~ only)' };
  }
  const problem = passwordProblem(hash);
  if (problem) return { username, reason: problem };
  if (uid > MAX_ID || gid > MAX_ID) {
    return { username, reason: `uid ${uid} or gid ${gid} above ${MAX_ID}` };
  }
  const home = options.homeBase ? posix.join(options.homeBase, username) : account.home;
  if (!posix.isAbsolute(home)) {
    return { username, reason: `home directory ${JSON.stringify(home)} is not absolute` };
  }
  const permissions = options.permissions ?? DEFAULT_PERMISSIONS;
  return {
    username,
    password: hash,
    home_dir: home.length > 1 ? home.replace(/\/+$/, '') : home,
    uid,
    gid,
    permissions: Object.fromEntries(
      Object.entries(permissions).map(([dir, list]) => [dir, [...list]]),
    ),
    status: 1,
  };
}

/** Adds a warning for each name asked for with `usernames` that the source has not, in the uid range. */
export function warnMissing(
  result: ImportResult,
  seen: ReadonlySet<string>,
  options: ImportOptions,
) {
  for (const name of options.usernames ?? []) {
    if (!seen.has(name))
      result.warnings.push({ username: name, message: 'no such account in the uid range' });
  }
}

/** The lines of an account file: without the final newline's empty line, comments and blanks. */
export function accountLines(text: string): { line: string; number: number }[] {
  return text
    .split('\n')
    .map((line, i) => ({ line: line.replace(/\r$/, ''), number: i + 1 }))
    .filter(({ line }) => line.trim() !== '' && !line.startsWith('#'));
}
