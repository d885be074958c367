import {
  accountLines,
  baseUser,
  type ImportOptions,
  type ImportResult,
  isSelected,
  warnMissing,
  wholeNumber,
} from './common.js';

/** The fields of a pure-pw line, in order. */
const FIELDS = 18;

/** Bytes per second, as pure-pw stores them (its -t and -T are KiB/s), to our KB/s of 1000 bytes. */
export function bandwidthKBps(bytesPerSecond: number): number {
  if (bytesPerSecond <= 0) return 0;
  // never faster than Pure-FTPd allowed, and never 0, which is unlimited
  return Math.max(1, Math.floor(bytesPerSecond / 1000));
}

/**
 * A Pure-FTPd client IP list (`a.b.c.d`, `a.b.c.d/bits`, host names, comma
 * separated) in CIDR notation, or the entry that has no CIDR form: host
 * names were resolved at each login, and IPv6 cannot be written in the
 * colon-separated file.
 */
export function pureFtpdIpList(field: string): { cidrs: string[]; invalid?: string } {
  const cidrs: string[] = [];
  for (const raw of field.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(entry);
    const octets = match?.slice(1, 5).map(Number) ?? [];
    const bits = match?.[5] === undefined ? 32 : Number(match[5]);
    if (!match || octets.some((o) => o > 255) || bits < 1 || bits > 32) {
      return { cidrs, invalid: entry };
    }
    cidrs.push(`${octets.join('.')}/${bits}`);
  }
  return { cidrs };
}

/**
 * Pure-FTPd's virtual users (`pureftpd.passwd`, as pure-pw writes it) as
 * users. A line is `user:hash:uid:gid:gecos:home:upload_bw:download_bw:
 * upload_ratio:download_ratio:max_conns:files_quota:size_quota:
 * allowed_local_ips:denied_local_ips:allowed_client_ips:denied_client_ips:
 * time_restrictions`, bandwidths in bytes per second and the size quota in
 * bytes. The home is the chroot, the part before `/./`; client IP lists
 * become the IP filters, and a user whose list holds a host name is skipped
 * (dropping it would let in whom Pure-FTPd kept out). Ratios, local IPs and
 * time restrictions have no SFTPGo field: they are dropped with a warning.
 *
 * @example
 * convertPureFtpdUsers(readFileSync('/etc/pureftpd.passwd', 'utf8'));
 */
export function convertPureFtpdUsers(text: string, options: ImportOptions = {}): ImportResult {
  const result: ImportResult = { users: [], skipped: [], warnings: [] };
  const seen = new Set<string>();
  for (const { line, number } of accountLines(text)) {
    const fields = line.split(':');
    const [username = '', hash = '', uidField, gidField, , homeField = ''] = fields;
    const uid = wholeNumber(uidField);
    const gid = wholeNumber(gidField);
    if (fields.length < 6 || fields.length > FIELDS || uid === undefined || gid === undefined) {
      result.skipped.push({
        username: username || `line ${number}`,
        reason: `malformed line ${number}: expected up to ${FIELDS} colon-separated fields`,
      });
      continue;
    }
    if (!isSelected(username, uid, options)) continue;
    seen.add(username);
    const field = (i: number) => (fields[i] ?? '').trim();
    const warn = (message: string) => result.warnings.push({ username, message });

    const chroot = homeField.indexOf('/./');
    const home = chroot >= 0 ? homeField.slice(0, chroot) || '/' : homeField;
    const user = baseUser({ username, hash, uid, gid, home }, options);
    if (!('password' in user)) {
      result.skipped.push(user);
      continue;
    }
    const allowed = pureFtpdIpList(field(15));
    const denied = pureFtpdIpList(field(16));
    const invalid = allowed.invalid ?? denied.invalid;
    if (invalid !== undefined) {
      result.skipped.push({
        username,
        reason: `client IP ${JSON.stringify(invalid)} has no CIDR form (host name or malformed)`,
      });
      continue;
    }
    if (!options.homeBase) {
      if (chroot < 0) warn('not chrooted in Pure-FTPd: SFTPGo confines the user to its home');
      else if (homeField.slice(chroot + 3).replace(/\/+$/, '') !== '') {
        warn(`Pure-FTPd started sessions in ${homeField}: they start at ${user.home_dir} here`);
      }
    }
    user.upload_bandwidth = bandwidthKBps(wholeNumber(field(6)) ?? 0);
    user.download_bandwidth = bandwidthKBps(wholeNumber(field(7)) ?? 0);
    user.max_sessions = wholeNumber(field(10)) ?? 0;
    user.quota_files = wholeNumber(field(11)) ?? 0;
    user.quota_size = wholeNumber(field(12)) ?? 0;
    user.filters = { allowed_ip: allowed.cidrs, denied_ip: denied.cidrs };
    if ((wholeNumber(field(8)) ?? 0) > 0 || (wholeNumber(field(9)) ?? 0) > 0) {
      warn(`upload:download ratio ${field(8) || 0}:${field(9) || 0} dropped (not supported)`);
    }
    if (field(13) !== '' || field(14) !== '') {
      const local = `allowed ${field(13) || 'any'}, denied ${field(14) || 'none'}`;
      warn(`local IP restrictions (${local}) dropped (not supported)`);
    }
    if (field(17) !== '') warn(`time restriction ${field(17)} dropped (not supported)`);
    result.users.push(user);
  }
  warnMissing(result, seen, options);
  return result;
}
