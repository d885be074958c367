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
import type { Request } from 'express';
import { z } from 'zod';
import { HttpError, sendApiResponse } from './api-response.js';
import {
  backupInputPath,
  backupOutputDir,
  relativeFileParts,
  unusablePathError,
} from './backup-path.js';
import { fromProvider, PROVIDER_FAILURE, providerHttpError } from './provider-errors.js';
import { queryAtoi } from './query-params.js';
import type { QuotaScans } from './quota-scans.js';
import { type Route, route } from './route.js';
import { userJsonWithoutNulls } from './user-json.js';

/** The reference server's largest backup file to restore. */
export const MAX_RESTORE_SIZE = 10 * 1024 * 1024;

/** `mode` of `loaddata`, as the reference server reads it: 1 adds only, any other integer adds and updates. */
function loadMode(raw: string | undefined): LoadMode {
  return queryAtoi(raw, 'mode', 0) === 1 ? 'add-only' : 'add-and-update';
}

/**
 * `replace` of `loaddata`, ours: whether the users absent from the file are
 * deleted. A parameter of its own, which no SFTPGo version has, so that no
 * script written for one deletes users by reusing a value of `mode`.
 */
function replaceParam(raw: string | undefined): boolean {
  if (raw === undefined || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new HttpError(400, 'Invalid replace: must be one of 0, 1, false, true');
}

interface BackupRouteDeps {
  readonly provider: DataProvider;
  readonly scans: QuotaScans;
  /** The only directory backups are written to and read from. */
  readonly backupsPath: string;
  /** False for `track_quota` 0: loads start no quota scan. */
  readonly quotaTracking: boolean;
}

/**
 * The text of a required query parameter, trimmed as the reference server
 * trims it: refused when missing, empty or with a NUL.
 */
function fileParam(value: string | undefined, param: string, what: string): string {
  const raw = value?.trim();
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
function outputFileParts(value: string | undefined): { name: string; parts: string[] } {
  const name = fileParam(value, 'output_file', 'a path relative to the backups directory');
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
    throw unusablePathError(err, 'output_file', raw) ?? err;
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
    throw unusablePathError(err, 'input_file', name) ?? err;
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

/** Stores the users of the backup `name` and starts the scans asked for. */
async function loadBackup(
  { provider, scans, backupsPath, quotaTracking }: BackupRouteDeps,
  name: string,
  { scanQuota, mode, deleteOthers }: { scanQuota: number; mode: LoadMode; deleteOthers: boolean },
): Promise<void> {
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
  const scanning = quotaTracking && (scanQuota === 1 || scanQuota === 2);
  // with add-only, the users that exist already are not loaded, nor scanned
  const skipped = new Set<string>();
  if (scanning && mode === 'add-only') {
    for (const { username } of users) {
      if (
        typeof username === 'string' &&
        (await fromProvider(provider.getUserByUsername(username)))
      ) {
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
      const user = await fromProvider(provider.getUserByUsername(username));
      if (!user) continue;
      if (scanQuota === 2 && user.quota_size === 0 && user.quota_files === 0) continue;
      scans.start(user); // one already running will do
    }
  }
}

const CROSS_SITE =
  '`Forbidden: a request sent from another site`: a browser marked it so (`Sec-Fetch-Site`).';

/** `/dumpdata` and `/loaddata`: backups of every user, in files of the backups directory. */
export const backupRoutes: readonly Route<BackupRouteDeps>[] = [
  route(
    {
      method: 'get',
      path: '/dumpdata',
      tag: 'maintenance',
      operationId: 'dumpdata',
      summary: 'Saves every user to a backup file',
      description:
        'Writes `{"users": [...]}`, every user with its password hash, to a file of `httpd.backups_path` (created, mode 0700, when missing), with mode 0600, replacing the file of that name.',
      query: {
        output_file: z
          .string()
          .min(1)
          .describe(
            'A path relative to the backups directory, not absolute, without a `..` part; its missing directories are created with mode 0700. A link that leads outside the backups directory is refused.',
          ),
        indent: z
          .string()
          .default('0')
          .describe('1 writes indented JSON; any other value does not.'),
      },
      responses: {
        200: '`Data saved`.',
        400: '`output_file` missing, absolute, with a `..` part, led outside the backups directory by a link, or a directory.',
        403: CROSS_SITE,
        500: PROVIDER_FAILURE,
      },
    },
    async ({ provider, backupsPath }, { req, res, query }) => {
      refuseCrossSite(req);
      const { name, parts } = outputFileParts(query('output_file'));
      // as the reference server: exactly 1 indents, any other value does not
      const indent = query('indent')?.trim() === '1';
      const dump = await fromProvider(dumpUsers(provider));
      const dir = await backupOutputDir(backupsPath, parts.slice(0, -1), name);
      const text = JSON.stringify(dump, null, indent ? 2 : undefined);
      await writePrivateFile(dir, parts.at(-1) ?? name, text, name);
      sendApiResponse(res, 200, 'Data saved');
    },
  ),

  route(
    {
      method: 'get',
      path: '/loaddata',
      tag: 'maintenance',
      operationId: 'loaddata',
      summary: 'Restores users from a backup file',
      description: `Reads a file of \`httpd.backups_path\` (at most ${MAX_RESTORE_SIZE} bytes) as written by \`/dumpdata\` and stores its users. Used quota and last login are not restored. It stops at the first user that cannot be stored: the users before it stay stored.`,
      query: {
        input_file: z
          .string()
          .min(1)
          .describe(
            'A path relative to the backups directory (`backups_path`), or an absolute path that leads inside it, links followed.',
          ),
        scan_quota: z
          .number()
          .int()
          .default(0)
          .describe(
            'Quota scans to start once loaded: 1 for every user loaded, 2 for the users loaded that have a quota, any other integer none. None with `track_quota` 0.',
          ),
        mode: z
          .number()
          .int()
          .default(0)
          .describe(
            '1 adds new users only; any other integer adds new users and updates existing ones. No mode deletes users.',
          ),
        replace: z
          .enum(['0', '1', 'false', 'true'])
          .default('0')
          .describe(
            'Not in the reference server: 1 or true also deletes, once the file is stored, the users it does not have.',
          ),
      },
      responses: {
        200: '`Data restored`.',
        400: '`input_file` missing, not a file of the backups directory, not found or not a regular file; message `Unable to restore input file: ...` (too large) or `Unable to parse input file: ...` (the parser\'s words in `error`); `Validation error: users.N ("name"): ...`; a `scan_quota` or `mode` that is not an integer; a bad `replace`.',
        403: `\`Method disabled error: ...\`: users are managed elsewhere (\`data_provider.manage_users\` 0); or ${CROSS_SITE}`,
        409: 'A username was taken meanwhile.',
        500: PROVIDER_FAILURE,
      },
    },
    async (deps, { req, res, query }) => {
      refuseCrossSite(req);
      const name = fileParam(
        query('input_file'),
        'input_file',
        'a path relative to the backups directory, or an absolute path inside it',
      );
      const scanQuota = queryAtoi(query('scan_quota'), 'scan_quota', 0);
      const mode = loadMode(query('mode'));
      const deleteOthers = replaceParam(query('replace'));
      await loadBackup(deps, name, { scanQuota, mode, deleteOthers });
      sendApiResponse(res, 200, 'Data restored');
    },
  ),
];
