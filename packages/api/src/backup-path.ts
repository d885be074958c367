import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { HttpError } from './api-response.js';

/** Whether `raw` is a file name alone: no directory part, not `.` nor `..`. */
export function isPlainFileName(raw: string): boolean {
  return !(
    raw === '.' ||
    raw === '..' ||
    raw.includes('/') ||
    raw.includes('\\') ||
    (process.platform === 'win32' && raw.includes(':'))
  );
}

/**
 * `path` with its links resolved as far as it exists: the real path of its
 * longest existing ancestor, and the rest of it as given.
 */
async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const parent = dirname(path);
    if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === path) throw err;
    return join(await realPathOf(parent), basename(path));
  }
}

/**
 * The real path of the backup `input_file` names: a file name in
 * `backupsPath`, or, as the reference server takes it, an absolute path that
 * resolves, links followed, inside the real `backupsPath`. Anything else
 * answers 400 with where backups are read from; whether a file outside is
 * there or not is never told. A missing file inside is left to the reader.
 */
export async function backupInputPath(backupsPath: string, raw: string): Promise<string> {
  const refuse = () =>
    new HttpError(
      400,
      `input_file must be a file name in the backups directory (httpd.backups_path, ${JSON.stringify(backupsPath)}) or an absolute path inside it: ${JSON.stringify(raw)}`,
    );
  const absolute = isAbsolute(raw);
  if (!absolute && !isPlainFileName(raw)) throw refuse();
  let root: string;
  let real: string;
  try {
    root = await realPathOf(resolve(backupsPath));
    real = await realPathOf(absolute ? raw : join(backupsPath, raw));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new HttpError(400, `input_file ${JSON.stringify(raw)}: too many symbolic links`);
    }
    throw err;
  }
  // with the separator, so that a sibling such as `/backups2` is not inside `/backups`
  const inside = root.endsWith(sep) ? root : `${root}${sep}`;
  if (!real.startsWith(inside) || real.length === inside.length) throw refuse();
  return real;
}
