import type { Attrs } from './attrs.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SIX_MONTHS_S = 182 * 24 * 3600;

function typeChar(mode: number): string {
  switch (mode & 0o170000) {
    case 0o040000:
      return 'd';
    case 0o120000:
      return 'l';
    case 0o020000:
      return 'c';
    case 0o060000:
      return 'b';
    case 0o010000:
      return 'p';
    case 0o140000:
      return 's';
    default:
      return '-';
  }
}

function permTriplet(mode: number, shift: number, special: number, specialChar: string): string {
  const bits = (mode >> shift) & 7;
  const exec = bits & 1;
  let x = exec ? 'x' : '-';
  if (mode & special) x = exec ? specialChar : specialChar.toUpperCase();
  return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${x}`;
}

/** `drwxr-xr-x` from a mode, as `ls -l` prints it. */
export function modeString(mode: number): string {
  return (
    typeChar(mode) +
    permTriplet(mode, 6, 0o4000, 's') +
    permTriplet(mode, 3, 0o2000, 's') +
    permTriplet(mode, 0, 0o1000, 't')
  );
}

function dateString(mtime: number, now: number): string {
  const d = new Date(mtime * 1000);
  const day = String(d.getDate()).padStart(2, ' ');
  const month = MONTHS[d.getMonth()];
  if (Math.abs(now - mtime) < SIX_MONTHS_S) {
    const hh = String(d.getHours()).padStart(2, '0');
    const mm = String(d.getMinutes()).padStart(2, '0');
    return `${month} ${day} ${hh}:${mm}`;
  }
  return `${month} ${day}  ${d.getFullYear()}`;
}

/**
 * The `longname` of a READDIR entry, in the `ls -l` layout that OpenSSH's
 * server sends and its client shows for `ls -l`.
 */
export function longname(
  filename: string,
  attrs: Attrs,
  nowSeconds = Date.now() / 1000,
  nlink = 1,
): string {
  const mode = modeString(attrs.mode ?? 0);
  const owner = String(attrs.uid ?? 0).padEnd(8);
  const group = String(attrs.gid ?? 0).padEnd(8);
  const size = String(attrs.size ?? 0).padStart(8);
  return `${mode} ${String(nlink).padStart(4)} ${owner} ${group} ${size} ${dateString(attrs.mtime ?? 0, nowSeconds)} ${filename}`;
}
