import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type DataProvider,
  dumpUsers,
  type LoadMode,
  loadUsers,
  parseUserDump,
  type UserInput,
  ValidationError,
} from '@sftpgo/provider';
import { type Request, type Response, Router } from 'express';
import { HttpError, methodNotAllowed, sendApiResponse } from './api-response.js';
import { backupInputPath, backupOutputDir, relativeFileParts } from './backup-path.js';
import { queryAtoi, queryParam } from './query-params.js';
import type { QuotaScans } from './quota-scans.js';
import { userJsonWithoutNulls } from './user-json.js';
import { providerHttpError } from './user-routes.js';

/** The reference server's largest backup file to restore. */
export const MAX_RESTORE_SIZE = 10 * 1024 * 1024;

/** `mode` of `loaddata`, as the reference server reads it: 1 adds only, any other integer adds and updates. */
function loadMode(req: Request): LoadMode {
  return queryAtoi(req, 'mode', 0) === 1 ? 'add-only' : 'add-and-update';
}

/**
 * `replace` of `loaddata`, ours: whether the users absent from the file are
 * deleted. A parameter of its own, which no SFTPGo version has, so that no
 * script written for one deletes users by reusing a value of `mode`.
 */
function replaceParam(req: Request): boolean {
  const raw = queryParam(req, 'replace');
  if (raw === undefined || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new HttpError(400, 'Invalid replace: must be one of 0, 1, false, true');
}

export interface BackupRoutesOptions {
  /** The only directory backups are written to and read from. */
  readonly backupsPath: string;
  /** False for `track_quota` 0: loads start no quota scan. */
  readonly quotaTracking: boolean;
}

/**
 * The text of a required query parameter, trimmed as the reference server
 * trims it: refused when missing, empty or with a NUL.
 */
function fileParam(req: Request, param: string, what: string): string {
  const raw = queryParam(req, param)?.trim();
  if (raw === undefined || raw === '') {
    throw new HttpError(400, `${param} is required: ${what}`);
  }
  if (raw.includes('\0')) throw new HttpError(400, `${param} must not contain a NUL character`);
  return raw;
}

/**
 * The parts of `output_file`, a path relative to the backups directory, as
 * the reference server's dumpdata takes it: not absolute, no `..`.
 */
function outputFileParts(req: Request): { name: string; parts: string[] } {
  const name = fileParam(req, 'output_file', 'a path relative to the backups directory');
  const parts = relativeFileParts(name);
  if (!parts) {
    throw new HttpError(
      400,
      `output_file must be a relative path inside the backups directory, without "..": ${JSON.stringify(name)}`,
    );
  }
  return { name, parts };
}

/**
 * `dumpdata` and `loaddata` change state on GET, as in the reference API. A
 * browser that holds the web admin's basic-auth credentials sends them with
 * any link or image another site points here, so a request the browser marks
 * as sent from another site (`Sec-Fetch-Site`) is refused; other clients do
 * not send that header.
 */
function refuseCrossSite(req: Request): void {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, 'Forbidden: a request sent from another site');
  }
}

async function answer<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw providerHttpError(err);
  }
}

/** Writes `text` to `name` in `dir` with mode 0600, replacing the file (or link) there at once. */
async function writePrivateFile(
  dir: string,
  name: string,
  text: string,
  raw: string,
): Promise<void> {
  const temp = join(dir, `.${randomUUID()}.tmp`);
  try {
    await writeFile(temp, text, { mode: 0o600, flag: 'wx' });
    await rename(temp, join(dir, name));
  } catch (err) {
    await rm(temp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
      throw new HttpError(400, `output_file ${JSON.stringify(raw)} is a directory`);
    }
    throw err;
  }
}

/**
 * The text of the backup at `path`, a real path, refused when missing, not a
 * regular file or too large; `name` is the `input_file` given.
 */
async function readBackup(path: string, name: string): Promise<string> {
  const quoted = JSON.stringify(name);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // not blocking on a FIFO: the type is checked once opened; not following
    // a link put in place of the file once its real path was checked
    const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);
    handle = await open(path, flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new HttpError(400, `input_file ${quoted} is not a regular file`);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new HttpError(400, `input_file ${quoted} not found in the backups directory`);
    }
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new HttpError(400, `input_file ${quoted} is not a regular file`);
    const tooLarge = (size: number) =>
      new HttpError(
        400,
        '',
        `Unable to restore input file: ${quoted} size too big: ${size}/${MAX_RESTORE_SIZE} bytes`,
      );
    if (st.size > MAX_RESTORE_SIZE) throw tooLarge(st.size);
    const buffer = Buffer.alloc(MAX_RESTORE_SIZE + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_RESTORE_SIZE) throw tooLarge(length);
    }
    return buffer.toString('utf8', 0, length).replace(/^\uFEFF/, '');
  } finally {
    await handle.close();
  }
}

/** `users.N: problem` becomes `users.N ("username"): problem`. */
function namingUsers(err: unknown, users: readonly UserInput[]): unknown {
  if (!(err instanceof ValidationError)) return err;
  return new ValidationError(
    err.problems.map((problem) =>
      problem.replace(/^users\.(\d+):/, (prefix, i: string) => {
        const username = users[Number(i)]?.username;
        return typeof username === 'string' ? `users.${i} (${JSON.stringify(username)}):` : prefix;
      }),
    ),
  );
}

/** `/dumpdata` and `/loaddata`: backups of every user, in files of the backups directory. */
export function backupRoutes(
  provider: DataProvider,
  scans: QuotaScans,
  options: BackupRoutesOptions,
): Router {
  const router = Router();
  const { backupsPath } = options;

  router.get('/dumpdata', async (req: Request, res: Response) => {
    refuseCrossSite(req);
    const { name, parts } = outputFileParts(req);
    // as the reference server: exactly 1 indents, any other value does not
    const indent = queryParam(req, 'indent')?.trim() === '1';
    const dump = await answer(dumpUsers(provider));
    const dir = await backupOutputDir(backupsPath, parts.slice(0, -1), name);
    const text = JSON.stringify(dump, null, indent ? 2 : undefined);
    await writePrivateFile(dir, parts.at(-1) ?? name, text, name);
    sendApiResponse(res, 200, 'Data saved');
  });

  router.get('/loaddata', async (req: Request, res: Response) => {
    refuseCrossSite(req);
    const name = fileParam(
      req,
      'input_file',
      'a path relative to the backups directory, or an absolute path inside it',
    );
    const scanQuota = queryAtoi(req, 'scan_quota', 0);
    const mode = loadMode(req);
    const deleteOthers = replaceParam(req);
    const text = await readBackup(await backupInputPath(backupsPath, name), name);
    let users: UserInput[];
    try {
      // a user without status is disabled, as the reference server decodes it
      users = parseUserDump(text).map(
        (user) =>
          ({ status: 0, ...userJsonWithoutNulls(user as Record<string, unknown>) }) as UserInput,
      );
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      // as the reference server: the decoder's words in `error`, the file in `message`
      throw new HttpError(
        400,
        err.message.replace(/^Unable to parse input file: /, ''),
        `Unable to parse input file: ${JSON.stringify(name)}`,
      );
    }
    // as the reference server: 1 scans every user loaded, 2 those with a quota, any other none
    const scanning = options.quotaTracking && (scanQuota === 1 || scanQuota === 2);
    // with add-only, the users that exist already are not loaded, nor scanned
    const skipped = new Set<string>();
    if (scanning && mode === 'add-only') {
      for (const { username } of users) {
        if (typeof username === 'string' && (await answer(provider.getUserByUsername(username)))) {
          skipped.add(username);
        }
      }
    }
    try {
      await loadUsers(provider, users, mode, { deleteOthers });
    } catch (err) {
      throw providerHttpError(namingUsers(err, users));
    }
    if (scanning) {
      for (const { username } of users) {
        if (typeof username !== 'string' || skipped.has(username)) continue;
        const user = await answer(provider.getUserByUsername(username));
        if (!user) continue;
        if (scanQuota === 2 && user.quota_size === 0 && user.quota_files === 0) continue;
        scans.start(user); // one already running will do
      }
    }
    sendApiResponse(res, 200, 'Data restored');
  });

  router.all(['/dumpdata', '/loaddata'], methodNotAllowed);

  return router;
}
