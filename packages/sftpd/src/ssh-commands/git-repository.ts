import { constants } from 'node:fs';
import { access, lstat, open, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanVirtualPath, type OsFs } from '@sftpgo/vfs';
import { homePath } from './command-line.js';
import { CommandRefusedError } from './command-refused-error.js';

/**
 * What git appends to a repository path, in its order (`enter_repo` in
 * git's path.c): `r` may be `r/.git`, `r`, `r.git/.git` or `r.git`.
 */
const SUFFIXES = ['/.git', '', '.git/.git', '.git'] as const;

/** Files that make git read objects or refs from another place on the disk. */
const REDIRECTS = ['commondir', 'objects/info/alternates', 'objects/info/http-alternates'];

/** A repository found as git would find it. */
export interface ResolvedRepository {
  /** Its virtual path, links followed: the one permissions are checked on. */
  readonly path: string;
  /** Its host path, which git is started in. */
  readonly host: string;
}

function refuse(message: string): never {
  throw new CommandRefusedError(message);
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

async function searchable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** git's `validate_headref`: HEAD is a link into `refs/`, a `ref: refs/...` or an object id. */
async function validHead(head: string): Promise<boolean> {
  const info = await lstat(head).catch(() => undefined);
  if (info?.isSymbolicLink()) return (await readlink(head).catch(() => '')).startsWith('refs/');
  // a FIFO would block the read; git would block on it too, in its sandbox
  if (!info?.isFile()) return false;
  const file = await open(head, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
  if (!file) return false;
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(255), 0, 255, 0);
    const text = buffer.subarray(0, bytesRead).toString('latin1');
    return /^ref:\s*refs\//.test(text) || /^[0-9a-fA-F]{40}/.test(text);
  } finally {
    await file.close();
  }
}

/**
 * git's `is_git_directory`: a valid HEAD, and `objects` and `refs` in the
 * common directory. A `commondir` counts as one, to be refused afterwards,
 * rather than followed here.
 */
async function isGitDirectory(dir: string): Promise<boolean> {
  if (!(await validHead(join(dir, 'HEAD')))) return false;
  if (await exists(join(dir, 'commondir'))) return true;
  return (await searchable(join(dir, 'objects'))) && (await searchable(join(dir, 'refs')));
}

/**
 * Finds the repository that git would use for `name` (a path of the home
 * as the client gave it), and refuses what would lead git to another place
 * on the disk: a `gitdir:` file, a `commondir`, alternate object stores.
 * The caller then starts git in the returned directory, on `.`, so that git
 * has nothing left to search: a `.git` or `..git` there, which it would try
 * before `.` itself, is refused too.
 * @returns the repository, or undefined when there is none
 * @throws {CommandRefusedError} when the repository is refused
 */
export async function resolveRepository(
  fs: OsFs,
  name: string,
  program: string,
): Promise<ResolvedRepository | undefined> {
  const base = homePath(name);
  let found: ResolvedRepository | undefined;
  for (const suffix of SUFFIXES) {
    const host = await fs.hostPath(cleanVirtualPath(base + suffix)).catch(() => undefined);
    const info = host === undefined ? undefined : await stat(host).catch(() => undefined);
    if (host === undefined || !info) continue;
    if (info.isFile()) {
      // git reads a file there as `gitdir: <anywhere>`
      refuse(
        suffix.endsWith('/.git')
          ? `${program}: a .git file pointing elsewhere is not allowed`
          : `${program}: the repository must be a directory`,
      );
    }
    if (info.isDirectory() && (await isGitDirectory(host))) {
      const path = host === fs.root ? '/' : host.slice(fs.root.length);
      found = { path, host };
      break;
    }
  }
  if (!found) return undefined;
  for (const redirect of REDIRECTS) {
    if (await exists(join(found.host, redirect))) {
      refuse(`${program}: repositories with ${redirect} are not allowed`);
    }
  }
  for (const entry of ['.git', '..git']) {
    if (await exists(join(found.host, entry))) {
      refuse(`${program}: a ${entry} entry inside the repository is not allowed`);
    }
  }
  return found;
}
