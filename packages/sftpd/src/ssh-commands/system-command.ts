import { posix } from 'node:path';
import type { Permission } from '@sftpgo/provider';
import { cleanVirtualPath, isDirectory, type OsFs } from '@sftpgo/vfs';
import type { DirectoryPermissions } from '../directory-permissions.js';
import { homePath } from './command-line.js';
import { CommandRefusedError } from './command-refused-error.js';
import { resolveRepository } from './git-repository.js';
import { SANDBOX_PATH } from './sandbox.js';

export { CommandRefusedError };

export const SYSTEM_COMMANDS = [
  'git-receive-pack',
  'git-upload-pack',
  'git-upload-archive',
  'rsync',
] as const;
export type SystemCommand = (typeof SYSTEM_COMMANDS)[number];

/** A directory of the home: its virtual path, opened to bind it, and its host path, where it is bound. */
export interface HomeDirectory {
  readonly path: string;
  readonly host: string;
}

/** A system program ready to run on the user's files. */
export interface PreparedCommand {
  readonly program: SystemCommand;
  readonly args: readonly string[];
  /**
   * The directory of the home bound into the sandbox: the only user data
   * the program sees. The home, or for git the repository alone.
   */
  readonly bound: HomeDirectory;
  /** Where the program starts, inside `bound` (a host path). */
  readonly cwd: string;
  /** Directories inside `bound` (host paths) shown to the program empty and read-only... */
  readonly hidden?: readonly string[];
  /** ...but for these directories inside them, which it works in. */
  readonly shown?: readonly HomeDirectory[];
  /** Whether it may change files: quota applies. */
  readonly writes: boolean;
}

/**
 * rsync flags a client sends to `rsync --server` that take no argument and
 * keep rsync inside the paths given. Left out on purpose: those that follow
 * links out of the tree (L, k, K), take an argument (B, T, f), or filter (F).
 */
const RSYNC_FLAGS = new Set('vlogDtprcznHSxAXUNOJhiIbWmduRPqEC');
/** rsync long options that are safe as they are, or with a numeric value. */
const RSYNC_LONG = new Set([
  '--server',
  '--sender',
  '--delete',
  '--delete-before',
  '--delete-during',
  '--delete-delay',
  '--delete-after',
  '--delete-excluded',
  '--delete-missing-args',
  '--ignore-errors',
  '--force',
  '--partial',
  '--inplace',
  '--append',
  '--append-verify',
  '--existing',
  '--ignore-existing',
  '--remove-source-files',
  '--size-only',
  '--checksum',
  '--numeric-ids',
  '--safe-links',
  '--munge-links',
  '--omit-dir-times',
  '--omit-link-times',
  '--no-implied-dirs',
  '--fuzzy',
  '--prune-empty-dirs',
  '--ignore-times',
  '--whole-file',
  '--no-whole-file',
  '--sparse',
  '--preallocate',
  '--fsync',
  '--fake-super',
  '--mkpath',
  '--compress',
  '--old-compress',
  '--new-compress',
]);
const RSYNC_NUMERIC =
  /^--(timeout|bwlimit|compress-level|max-delete|modify-window|contimeout|block-size)=\d+[KMGkmg]?$/;
const RSYNC_SIZE = /^--(max-size|min-size)=\d+(\.\d+)?[KMGTPkmgtpb]?$/;
/** How much and in what format rsync reports to the client (`-i`, `-P`, `--stats`): output only. */
const RSYNC_REPORTING = /^--((log-format|out-format)=[^/]*|(info|debug)=[A-Za-z0-9,]*|stats)$/;
/** `-e.xxx`: in server mode, the client's capabilities, not a remote shell. */
const RSYNC_CLUSTER = /^-([A-Za-z]*?)(e\d*\.[A-Za-z.]*)?$/;

function refuse(message: string): never {
  throw new CommandRefusedError(message);
}

function checkRsyncOption(arg: string): void {
  if (arg.startsWith('--')) {
    if (RSYNC_LONG.has(arg) || RSYNC_NUMERIC.test(arg) || RSYNC_SIZE.test(arg)) return;
    if (RSYNC_REPORTING.test(arg)) return;
    refuse(`rsync: option ${arg.split('=')[0]} is not allowed`);
  }
  const cluster = RSYNC_CLUSTER.exec(arg);
  const flags = cluster?.[1] ?? '';
  for (const flag of cluster ? flags : arg.slice(1)) {
    if (!RSYNC_FLAGS.has(flag)) refuse(`rsync: option -${flag} is not allowed`);
  }
  if (!cluster) refuse(`rsync: option ${arg} is not allowed`);
}

/** Where `arg` leads in the home, its links followed inside it. */
async function resolvedPath(fs: OsFs, arg: string): Promise<string> {
  return fs
    .realpath(homePath(arg))
    .catch(() => refuse(`${JSON.stringify(arg)}: no such path in your home`));
}

/** The host path of a resolved virtual path; a trailing slash of `arg` (rsync's "the contents of") kept. */
function hostPathOf(fs: OsFs, resolved: string, arg: string): string {
  const host = resolved === '/' ? fs.root : `${fs.root}${resolved}`;
  return arg.endsWith('/') && !host.endsWith('/') ? `${host}/` : host;
}

/**
 * The host paths of the configured directories where `needed` is not all
 * granted, as they are on the disk (real directories, reached through no
 * link: a configured name that is a link holds nothing of its own).
 */
async function hiddenDirectories(
  fs: OsFs,
  permissions: DirectoryPermissions,
  configured: readonly string[],
  needed: readonly Permission[],
): Promise<string[]> {
  const restricted = configured.filter(
    (dir) => dir !== '/' && !needed.every((p) => permissions.has(p, dir)),
  );
  const hidden = await Promise.all(
    restricted.map(async (dir) => {
      const path = cleanVirtualPath(dir);
      const real = await fs.realpath(path).catch(() => undefined);
      const stat = real === path ? await fs.stat(path).catch(() => undefined) : undefined;
      return stat && isDirectory(stat) ? hostPathOf(fs, path, '') : undefined;
    }),
  );
  return hidden.filter((dir): dir is string => dir !== undefined);
}

/**
 * Whether the permissions that apply at `path` and at every directory with
 * its own permissions below it all grant `needed`: the program works on the
 * disk directly, so a restriction below the path could not be enforced.
 */
function allowedBelow(
  permissions: DirectoryPermissions,
  configured: readonly string[],
  path: string,
  needed: readonly Permission[],
): boolean {
  const dirs = [path, ...configured.filter((d) => d.startsWith(path === '/' ? '/' : `${path}/`))];
  return dirs.every((dir) => needed.every((p) => permissions.has(p, dir)));
}

const READ: readonly Permission[] = ['list', 'download'];
const WRITE: readonly Permission[] = ['*'];

/**
 * Checks a system command and translates its paths to the user's home on
 * the host. A git repository is found as git would find it (`r` may be
 * `r.git`), and git is started in it; rsync gets `--safe-links` when the
 * user may create symbolic links and `--munge-links` otherwise, as the spec
 * says.
 * @throws {CommandRefusedError} for an option or a path it does not allow
 */
export async function prepareSystemCommand(
  program: SystemCommand,
  args: readonly string[],
  fs: OsFs,
  permissions: DirectoryPermissions,
  configuredDirs: readonly string[],
): Promise<PreparedCommand> {
  if (program === 'rsync') return prepareRsync(args, fs, permissions, configuredDirs);
  const options = args.filter((a) => a.startsWith('-'));
  const paths = args.filter((a) => !a.startsWith('-'));
  for (const option of options) {
    if (!/^--(strict|no-strict|timeout=\d+)$/.test(option)) {
      refuse(`${program}: option ${option.split('=')[0]} is not allowed`);
    }
  }
  if (paths.length !== 1) refuse(`${program}: give exactly one repository path`);
  const name = paths[0] as string;
  const writes = program === 'git-receive-pack';
  const needed = writes ? WRITE : READ;
  const repository = await resolveRepository(fs, name, program);
  if (!repository) {
    // no answer on what is there for a user who may not work at that path
    const path = homePath(name);
    if (!allowedBelow(permissions, configuredDirs, path, needed)) {
      refuse(`${program}: permission denied on ${path}`);
    }
    refuse(`${program}: ${JSON.stringify(name)} does not appear to be a git repository`);
  }
  // the permissions of the repository git will work on, found through suffixes and links
  if (!allowedBelow(permissions, configuredDirs, repository.path, needed)) {
    refuse(`${program}: permission denied on ${repository.path}`);
  }
  // git-upload-pack --strict takes `.` as it is; the other two search from `.`
  // in their own order, which resolveRepository has left nothing to find
  const gitOptions =
    program === 'git-upload-pack'
      ? [...options.filter((o) => !/^--(no-)?strict$/.test(o)), '--strict']
      : options;
  return {
    program,
    args: [...gitOptions, '.'],
    // the repository alone: a link in it leads nowhere else in the home
    bound: repository,
    cwd: repository.host,
    writes,
  };
}

async function prepareRsync(
  args: readonly string[],
  fs: OsFs,
  permissions: DirectoryPermissions,
  configuredDirs: readonly string[],
): Promise<PreparedCommand> {
  if (args[0] !== '--server') refuse('rsync: only the server side of rsync may run here');
  const dot = args.indexOf('.');
  if (dot < 0 || dot === args.length - 1) refuse('rsync: no path given');
  const options = args.slice(0, dot);
  options.forEach(checkRsyncOption);
  // a sender told to remove what it sent deletes files: it needs every permission too
  const writes = !options.includes('--sender') || options.includes('--remove-source-files');
  const paths = args.slice(dot + 1);
  const needed = writes ? WRITE : READ;
  // checked where each path leads, and rsync given that place: it follows no link of ours
  const resolved = await Promise.all(paths.map((p) => resolvedPath(fs, p)));
  for (const path of resolved) {
    if (!allowedBelow(permissions, configuredDirs, path, needed)) {
      refuse(`rsync: permission denied on ${path}`);
    }
  }
  // the directories below whose permissions do not grant it all are shown to rsync empty,
  // so that no link it meets leads into them
  const hidden = await hiddenDirectories(fs, permissions, configuredDirs, needed);
  // the directories rsync works in, bound back where a hidden directory holds them
  const workDirs = await Promise.all(
    resolved.map(async (path) => {
      const stat = await fs.stat(path).catch(() => undefined);
      return stat && isDirectory(stat) ? path : posix.dirname(path);
    }),
  );
  const shown = workDirs
    .map((path) => ({ path, host: hostPathOf(fs, path, '') }))
    .filter(({ host }) => hidden.some((h) => host === h || host.startsWith(`${h}/`)));
  const mayLink = resolved.every((p) => permissions.has('create_symlinks', p));
  const linkOption = mayLink ? '--safe-links' : '--munge-links';
  const extra = options.includes(linkOption) ? [] : [linkOption];
  // no device nodes, FIFOs or sockets made in the home: a device would expose the host's
  // disks when the server runs as root, and opening a FIFO blocks one of the few threads
  // of the server's file I/O
  // and no super-user work when the server runs as root: files are not given the
  // owners, groups or devices the client asks for
  if (writes) extra.push('--no-D', '--no-super');
  // nothing received becomes a set-id program or a set-group-id or sticky directory
  if (!options.includes('--sender')) extra.push('--chmod=ugo-st');
  const hostPaths = resolved.map((path, i) => hostPathOf(fs, path, paths[i] as string));
  return {
    program: 'rsync',
    args: [...options, ...extra, '.', ...hostPaths],
    bound: { path: '/', host: fs.root },
    cwd: fs.root,
    hidden,
    shown,
    writes,
  };
}

/**
 * The environment of a system command: nothing of the server's, the PATH
 * of the sandbox, and git told to ignore what a user could plant in their
 * home or a repository to run programs (hooks, fsmonitor, global config).
 */
export function systemCommandEnv(home: string): NodeJS.ProcessEnv {
  const gitConfig: [string, string][] = [
    ['core.hooksPath', '/dev/null'],
    ['core.fsmonitor', 'false'],
    ['safe.directory', '*'],
  ];
  return {
    PATH: SANDBOX_PATH,
    HOME: home,
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_COUNT: String(gitConfig.length),
    ...Object.fromEntries(
      gitConfig.flatMap(([key, value], i) => [
        [`GIT_CONFIG_KEY_${i}`, key],
        [`GIT_CONFIG_VALUE_${i}`, value],
      ]),
    ),
  };
}
