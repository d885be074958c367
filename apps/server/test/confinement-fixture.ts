import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmod,
  cp,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

// The world of the confinement tests: a user's home, and next to it data the
// user must never reach; what the data looks like, so that any change to it,
// or any answer that shows some of it, is seen.

/** The account the user is mapped to; the data outside belongs to it too, so the kernel would not stop a leak. */
export const UID = 1000;
export const GID = 1000;
/** The mtime of each secret file: seen in an answer, it says that an attribute leaked. */
export const SECRET_MTIME_S = 1_000_000_000;

/** A directory outside the home, and the content of its secret file. */
export interface Target {
  readonly name: 'outside' | 'bob';
  readonly dir: string;
  readonly secret: string;
}

/**
 * Where everything lives, under one temporary directory:
 * `homes/alice` (the user's home), `homes/bob` (another user's home),
 * `homes/outside` (data of no user), `local` (the clients' files).
 */
export interface Layout {
  readonly root: string;
  readonly homes: string;
  readonly home: string;
  readonly local: string;
  readonly templates: string;
  /** `outside` is reached through an absolute link, `bob` through a relative one. */
  readonly targets: readonly [Target, Target];
}

const sha = (algorithm: string, data: string | Buffer) =>
  createHash(algorithm).update(data).digest('hex');

/** git with no system or user configuration of the host. */
export function gitEnv(layout: Layout): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: layout.local,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@t',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@t',
  };
}

function git(layout: Layout, args: string[], cwd?: string): string {
  return execFileSync('git', args, { cwd, env: gitEnv(layout), encoding: 'utf8' });
}

/** A bare repository at `bare` with one commit of `files` on main and a second branch. */
async function makeRepository(
  layout: Layout,
  bare: string,
  files: Record<string, string>,
  branch: string,
): Promise<void> {
  const work = join(layout.templates, `work-${randomBytes(4).toString('hex')}`);
  git(layout, ['init', '-q', '-b', 'main', work]);
  for (const [name, content] of Object.entries(files)) await writeFile(join(work, name), content);
  git(layout, ['add', '-A'], work);
  git(layout, ['commit', '-qm', `${branch} commit`], work);
  git(layout, ['branch', branch], work);
  git(layout, ['clone', '-q', '--bare', work, bare]);
  await rm(work, { recursive: true, force: true });
}

/** The user's account owns `path` and everything below it, links included. */
export function chownToUser(path: string): void {
  execFileSync('chown', ['-R', '-h', `${UID}:${GID}`, path]);
}

async function makeTarget(layout: Layout, target: Target): Promise<void> {
  const { dir, name, secret } = target;
  await mkdir(join(dir, 'sub'), { recursive: true });
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'secret.txt'), secret);
  await chmod(join(dir, 'secret.txt'), 0o640);
  await writeFile(join(dir, `${name}-only.txt`), `${secret} (copy)\n`);
  await writeFile(join(dir, 'sub', `${name}-sub-only.txt`), `${secret} (sub)\n`);
  await symlink(`${name}-only.txt`, join(dir, 'alink'));
  await makeRepository(layout, join(dir, 'repo.git'), { 'secret.txt': secret }, `${name}-only`);
  await utimes(join(dir, 'secret.txt'), SECRET_MTIME_S, SECRET_MTIME_S);
  chownToUser(dir);
}

/** Creates the layout under `root` (made traversable, for the user's account). */
export async function makeLayout(root: string): Promise<Layout> {
  const homes = join(root, 'homes');
  const layout: Layout = {
    root,
    homes,
    home: join(homes, 'alice'),
    local: join(root, 'local'),
    templates: join(root, 'templates'),
    targets: [
      {
        name: 'outside',
        dir: join(homes, 'outside'),
        secret: `outside secret ${randomBytes(8).toString('hex')}\n`,
      },
      { name: 'bob', dir: join(homes, 'bob'), secret: `bob's ${randomBytes(8).toString('hex')}\n` },
    ],
  };
  await chmod(root, 0o755);
  for (const dir of [homes, layout.home, layout.local, layout.templates]) {
    await mkdir(dir, { recursive: true });
  }
  for (const target of layout.targets) await makeTarget(layout, target);
  await makeRepository(layout, join(layout.templates, 'decoy.git'), { README: 'decoy\n' }, 'decoy');
  return layout;
}

/**
 * Makes the targets again, as new, and removes whatever else appeared next
 * to the homes: after an operation that reached them, so that the next one
 * is judged on its own.
 */
export async function restoreTargets(layout: Layout): Promise<void> {
  const keep = new Set([layout.home, ...layout.targets.map((t) => t.dir)]);
  for (const name of await readdir(layout.homes)) {
    if (!keep.has(join(layout.homes, name))) await removeEntry(join(layout.homes, name));
  }
  for (const target of layout.targets) {
    await removeEntry(target.dir);
    await makeTarget(layout, target);
  }
}

/** Removes `path` without ever following a link it is, or holds. */
async function removeEntry(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  // rm does not follow links inside a tree; a link itself is only unlinked
  await rm(path, { recursive: st.isDirectory(), force: true });
}

/** The decoy directory `d`: the same names as the targets, none of their content. */
export async function makeDecoy(dir: string): Promise<void> {
  await mkdir(join(dir, 'sub'), { recursive: true });
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'secret.txt'), 'decoy\n');
  await writeFile(join(dir, 'sub', 'decoy-sub.txt'), 'decoy sub\n');
  await symlink('secret.txt', join(dir, 'alink'));
}

/**
 * A decoy below a directory whose permissions the user lacks (`/locked`:
 * list only) and one where they have them all again (`/locked/open`).
 */
export const LOCKED_D = 'locked/open/d';

/**
 * Empties the home and makes it again: `d` (the decoy), `pool/p-<i>` for
 * `pool` files to move or link into `d`, and git repositories and
 * {@link LOCKED_D} when asked.
 */
export async function resetHome(
  layout: Layout,
  options: { pool?: number; git?: boolean; locked?: boolean } = {},
): Promise<void> {
  for (const name of await readdir(layout.home)) await removeEntry(join(layout.home, name));
  await makeDecoy(join(layout.home, 'd'));
  if (options.locked) await makeDecoy(join(layout.home, LOCKED_D));
  if (options.pool) {
    await mkdir(join(layout.home, 'pool'));
    for (let i = 0; i < options.pool; i++) {
      await writeFile(join(layout.home, 'pool', `p-${i}`), 'pool\n');
    }
  }
  if (options.git) {
    const decoy = join(layout.templates, 'decoy.git');
    await cp(decoy, join(layout.home, 'd', 'repo.git'), { recursive: true });
    await cp(decoy, join(layout.home, 'r.git'), { recursive: true });
  }
  chownToUser(layout.home);
}

/**
 * Everything that identifies the state of a tree, entry by entry, without
 * following links: type and mode, owner, link count, size, times of change,
 * content or link target.
 */
export async function snapshot(dir: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const path = join(dir, rel);
    const st = await lstat(path);
    let detail = '';
    if (st.isFile()) detail = sha('sha256', await readFile(path));
    else if (st.isSymbolicLink()) detail = `-> ${await readlink(path)}`;
    lines.push(
      `${rel || '.'} ${st.mode.toString(8)} ${st.uid}:${st.gid} links=${st.nlink} size=${st.size} ` +
        `mtime=${st.mtimeMs} ctime=${st.ctimeMs} ${detail}`,
    );
    if (st.isDirectory())
      for (const name of (await readdir(path)).sort()) await walk(join(rel, name));
  };
  await walk('');
  return lines;
}

/** What is outside the home: the listing of `homes` and each target, whole. */
export async function outsideState(layout: Layout): Promise<Record<string, string[]>> {
  const state: Record<string, string[]> = { homes: (await readdir(layout.homes)).sort() };
  for (const target of layout.targets) state[target.name] = await snapshot(target.dir);
  return state;
}

/**
 * Every regular file of the home, links not followed, that is a target's
 * secret file (the same inode) or holds a secret: none may exist.
 */
export async function secretsInHome(layout: Layout): Promise<string[]> {
  const inodes = new Set<number>();
  for (const t of layout.targets) {
    const st = await lstat(join(t.dir, 'secret.txt')).catch(() => undefined);
    if (st) inodes.add(st.ino);
  }
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      if (!entry.isFile()) continue;
      const st = await lstat(path);
      if (inodes.has(st.ino)) found.push(`${relative(layout.home, path)} is a secret file's inode`);
      else if (st.size < 4096 && markersIn(layout, await readFile(path)).length > 0) {
        found.push(`${relative(layout.home, path)} holds a secret`);
      }
    }
  };
  await walk(layout.home);
  return found;
}

/** What in an answer shows that it came from a target: content, checksums, names, attributes. */
function markers(layout: Layout): string[] {
  return layout.targets.flatMap((t) => [
    t.secret.trim(),
    sha('md5', t.secret),
    sha('sha256', t.secret),
    `${t.name}-only`,
    `${t.name}-sub-only`,
  ]);
}

const markerCache = new WeakMap<Layout, string[]>();

function markersIn(layout: Layout, answer: string | Buffer): string[] {
  let list = markerCache.get(layout);
  if (!list) {
    list = [...markers(layout), `mtime=${SECRET_MTIME_S} `];
    markerCache.set(layout, list);
  }
  const text = answer.toString('latin1');
  return list.filter((m) => text.includes(m));
}

/** The answers of one operation's tries, checked as they come for anything from a target. */
export class Evidence {
  readonly #layout: Layout;
  /** The first few answers that showed something of a target. */
  readonly leaks: string[] = [];

  constructor(layout: Layout) {
    this.#layout = layout;
  }

  add(answer: string | Buffer): void {
    const found = markersIn(this.#layout, answer);
    if (found.length > 0 && this.leaks.length < 10) {
      this.leaks.push(`${found.join(', ')} in ${JSON.stringify(answer.toString().slice(0, 300))}`);
    }
  }
}

/** The links to the targets for `entry`: `<entry>.abs`, absolute, and `<entry>.rel`, relative. */
export function swapLinks(layout: Layout, entry: string, below = ''): [string, string][] {
  const [outside, bob] = layout.targets;
  return [
    [`${entry}.abs`, join(outside.dir, below)],
    [`${entry}.rel`, relative(dirname(entry), join(bob.dir, below))],
  ];
}
