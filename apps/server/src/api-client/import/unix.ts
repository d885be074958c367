import {
  accountLines,
  baseUser,
  type ImportOptions,
  type ImportResult,
  isSelected,
  warnMissing,
  wholeNumber,
} from './common.js';

const DAY_MS = 86_400_000;

/** The range of uids of login accounts, as login.defs has it by default. */
export const UNIX_DEFAULT_MIN_UID = 1000;
export const UNIX_DEFAULT_MAX_UID = 60000;

interface ShadowEntry {
  readonly hash: string;
  /** Days since 1970-01-01 of the last password change; 0 asks for a change at the next login. */
  readonly lastChange?: number;
  readonly maxDays?: number;
  readonly inactiveDays?: number;
  readonly expireDay?: number;
}

function parseShadow(text: string): Map<string, ShadowEntry> {
  const entries = new Map<string, ShadowEntry>();
  for (const { line } of accountLines(text)) {
    const fields = line.split(':');
    const [name, hash = ''] = fields;
    if (!name) continue;
    entries.set(name, {
      hash,
      lastChange: wholeNumber(fields[2]),
      maxDays: wholeNumber(fields[4]),
      inactiveDays: wholeNumber(fields[6]),
      expireDay: wholeNumber(fields[7]),
    });
  }
  return entries;
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Linux system accounts as users: `/etc/passwd` (`name:x:uid:gid:gecos:home:shell`)
 * joined with `/etc/shadow` (`name:hash:lastchg:min:max:warn:inact:expire:`)
 * by name. The hash is kept as it is; locked accounts (`!`, `*`), accounts
 * without a password and hashes @sftpgo/auth cannot verify are skipped and
 * reported. The shadow's expiry day becomes `expiration_date`; an account
 * past its password's inactivity period is imported disabled.
 *
 * @example
 * convertUnixUsers(passwdText, shadowText, { minUid: 1000, maxUid: 60000 });
 */
export function convertUnixUsers(
  passwd: string,
  shadow: string,
  options: ImportOptions = {},
): ImportResult {
  const result: ImportResult = { users: [], skipped: [], warnings: [] };
  const shadowEntries = parseShadow(shadow);
  const now = options.now ?? Date.now();
  const seen = new Set<string>();
  for (const { line, number } of accountLines(passwd)) {
    const fields = line.split(':');
    const [username = '', field = '', uidField, gidField, , home = ''] = fields;
    const uid = wholeNumber(uidField);
    const gid = wholeNumber(gidField);
    if (fields.length < 7 || uid === undefined || gid === undefined || username === '') {
      result.skipped.push({
        username: username || `line ${number}`,
        reason: `malformed passwd line ${number}`,
      });
      continue;
    }
    if (!isSelected(username, uid, options)) continue;
    seen.add(username);
    const entry = field === 'x' ? shadowEntries.get(username) : { hash: field };
    if (!entry) {
      result.skipped.push({ username, reason: 'no shadow entry' });
      continue;
    }
    const user = baseUser({ username, hash: entry.hash, uid, gid, home }, options);
    if (!('password' in user)) {
      result.skipped.push(user);
      continue;
    }
    const shadowEntry = entry as ShadowEntry;
    if (shadowEntry.expireDay !== undefined && shadowEntry.expireDay > 0) {
      user.expiration_date = shadowEntry.expireDay * DAY_MS;
      if (user.expiration_date <= now) {
        result.warnings.push({
          username,
          message: `account expired on ${isoDay(user.expiration_date)}`,
        });
      }
    }
    const { lastChange, maxDays, inactiveDays } = shadowEntry;
    if (
      lastChange !== undefined &&
      lastChange > 0 &&
      maxDays !== undefined &&
      maxDays < 99999 &&
      inactiveDays !== undefined
    ) {
      const lockedAt = (lastChange + maxDays + inactiveDays) * DAY_MS;
      if (lockedAt <= now) {
        user.status = 0;
        result.warnings.push({
          username,
          message: `password inactive since ${isoDay(lockedAt)}: imported disabled (status 0)`,
        });
      }
    }
    result.users.push(user);
  }
  warnMissing(result, seen, options);
  return result;
}
