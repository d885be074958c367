import { mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { HttpError } from './api-response.js';

/**
 * The parts of `raw`, a relative path that names a file and never climbs:
 * not absolute, no `..` part, not ending with `/` or `.`, no backslash;
 * undefined for anything else.
 */
export function relativeFileParts(raw: string): string[] | undefined {
  if (
    isAbsolute(raw) ||
    raw.includes('\\') ||
    (process.platform === 'win32' && raw.includes(':'))
  ) {
    return undefined;
  }
  const segments = raw.split('/');
  const last = segments.at(-1);
  if (last === undefined || last === '' || last === '.' || segments.includes('..'))
    return undefined;
  return segments.filter((part) => part !== '' && part !== '.');
}

/**
 * The 400 answer to a path the filesystem cannot take, `param` of value
 * `raw`: a loop of links, or a name (255 bytes) or a path (PATH_MAX) too
 * long; undefined for another error. Neither is the server's failure.
 */
export function unusablePathError(
  err: unknown,
  param: 'input_file' | 'output_file',
  raw: string,
): HttpError | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP')
    return new HttpError(400, `${param} ${JSON.stringify(raw)}: too many symbolic links`);
  if (code === 'ENAMETOOLONG') {
    return new HttpError(
      400,
      `${param} ${JSON.stringify(raw)}: a name in it, or the whole path, is too long`,
    );
  }
  return undefined;
}

/** Whether `real` is `root` or inside it (both real paths). */
function isWithin(root: string, real: string): boolean {
  // with the separator, so that a sibling such as `/backups2` is not inside `/backups`
  return real === root || real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
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
 * The real path of the backup `input_file` names: a path relative to
 * `backupsPath` that never climbs with `..`, or, as the reference server
 * takes it, an absolute path that
 * resolves, links followed, inside the real `backupsPath`. Anything else
 * answers 400 with where backups are read from; whether a file outside is
 * there or not is never told. A missing file inside is left to the reader.
 */
export async function backupInputPath(backupsPath: string, raw: string): Promise<string> {
  const refuse = () =>
    new HttpError(
      400,
      `input_file must be a relative path inside the backups directory (httpd.backups_path, ${JSON.stringify(backupsPath)}) or an absolute path inside it: ${JSON.stringify(raw)}`,
    );
  const absolute = isAbsolute(raw);
  if (!absolute && !relativeFileParts(raw)) throw refuse();
  let root: string;
  let real: string;
  try {
    root = await realPathOf(resolve(backupsPath));
    real = await realPathOf(absolute ? raw : join(backupsPath, raw));
  } catch (err) {
    throw unusablePathError(err, 'input_file', raw) ?? err;
  }
  if (real === root || !isWithin(root, real)) throw refuse();
  return real;
}

/**
 * The real directory of `output_file`, whose directory parts are `dirParts`,
 * created with mode 0700 as far as missing: `backupsPath` or a directory
 * inside it, links followed; 400 when it leads outside or is not a directory.
 */
export async function backupOutputDir(
  backupsPath: string,
  dirParts: readonly string[],
  raw: string,
): Promise<string> {
  await mkdir(backupsPath, { recursive: true, mode: 0o700 });
  const root = await realPathOf(resolve(backupsPath));
  let real: string;
  try {
    real = await realPathOf(join(root, ...dirParts));
  } catch (err) {
    throw unusablePathError(err, 'output_file', raw) ?? err;
  }
  // checked before anything is created: a link in the way must not make one outside
  if (!isWithin(root, real)) {
    throw new HttpError(
      400,
      `output_file ${JSON.stringify(raw)} leads outside the backups directory (httpd.backups_path)`,
    );
  }
  try {
    await mkdir(real, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new HttpError(
        400,
        `output_file ${JSON.stringify(raw)}: a part of it is not a directory`,
      );
    }
    throw unusablePathError(err, 'output_file', raw) ?? err;
  }
  return real;
}
