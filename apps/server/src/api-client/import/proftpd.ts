import {
  accountLines,
  baseUser,
  type ImportOptions,
  type ImportResult,
  isSelected,
  warnMissing,
  wholeNumber,
} from './common.js';

/**
 * ProFTPD's `AuthUserFile` (as ftpasswd writes it) as users: the passwd
 * format `user:hash:uid:gid:gecos:home:shell`. The hash is kept; hashes
 * @sftpgo/auth cannot verify are skipped and reported. The gecos and the
 * shell are not imported.
 *
 * @example
 * convertProftpdUsers(ftpdPasswdText, { usernames: ['alice'] });
 */
export function convertProftpdUsers(text: string, options: ImportOptions = {}): ImportResult {
  const result: ImportResult = { users: [], skipped: [], warnings: [] };
  const seen = new Set<string>();
  for (const { line, number } of accountLines(text)) {
    const fields = line.split(':');
    const [username = '', hash = '', uidField, gidField, , home = ''] = fields;
    const uid = wholeNumber(uidField);
    const gid = wholeNumber(gidField);
    if (fields.length !== 7 || uid === undefined || gid === undefined || username === '') {
      result.skipped.push({
        username: username || `line ${number}`,
        reason: `malformed line ${number}: expected user:hash:uid:gid:gecos:home:shell`,
      });
      continue;
    }
    if (!isSelected(username, uid, options)) continue;
    seen.add(username);
    const user = baseUser({ username, hash, uid, gid, home }, options);
    if ('password' in user) result.users.push(user);
    else result.skipped.push(user);
  }
  warnMissing(result, seen, options);
  return result;
}
