import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { VfsError } from './errors.js';
import { type FsIo, O_PATH } from './fs-io.js';

/** Symbolic links followed while resolving one path, as Linux's MAXSYMLINKS. */
const MAX_SYMLINKS = 40;

export { O_PATH };

/** Where Linux shows each open descriptor as a link to what it opened. */
const PROC_FD = '/proc/self/fd';

const DIR_FLAGS = O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * A directory reached by a walk. `${path}/${name}` names one of its entries:
 * on Linux `path` is `/proc/self/fd/N`, which the kernel follows to exactly
 * the directory that descriptor N opened, as the `*at()` calls do, whatever
 * has been renamed or swapped on the way since; elsewhere it is the host
 * path that the walk found.
 */
export interface DirRef {
  readonly path: string;
  /** The descriptor behind `path`, or -1. */
  readonly fd: number;
}

/** What a walk resolved: an entry of a directory that lies inside the root. */
export interface Resolved {
  /** The directory holding the entry. */
  readonly dir: DirRef;
  /** The entry's name in `dir`: `.` when the path is the root itself. */
  readonly name: string;
  /** `${dir.path}/${name}`: the entry, for a call that does not follow a final link. */
  readonly at: string;
  /** The virtual path reached, links followed. */
  readonly path: string;
  /**
   * When the final link was to be followed: the entry's `lstat` (never a
   * link), or `null` when nothing is there.
   */
  readonly stat?: Stats | null;
}

/** How a walk treats the symbolic links it meets. */
export interface WalkOptions {
  /** Follow a final link (stat, open) or stop at it (lstat, remove, rename). */
  readonly followLast: boolean;
  /**
   * `in-root`: follow each link as if the root were `/` (a link to `/` or to
   * `../..` lands on the root); `refuse`: fail on any link that would have to
   * be followed, for a path resolved beforehand; `check`: follow links, and
   * fail where a kernel following them would leave the root, for a link
   * about to be created (a missing part is then taken by its names).
   */
  readonly links: 'in-root' | 'refuse' | 'check';
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Splits a path into the names it crosses, leaving out empty ones and `.`. */
function namesOf(path: string): string[] {
  return path.split('/').filter((n) => n !== '' && n !== '.');
}

export function outsideRoot(vpath: string): VfsError {
  return new VfsError('permission', `${JSON.stringify(vpath)}: outside the user's root`, vpath);
}

/** A step of the walk: a directory on the stack, by its name in its parent. */
interface Step {
  readonly name: string;
  readonly dir: DirRef;
}

/**
 * Resolves virtual paths component by component from a handle on the root,
 * never letting the kernel follow a link: each directory is opened through
 * its parent's descriptor with `O_NOFOLLOW`, each link is read and its target
 * walked in turn, inside the root. What is then done to the result acts on
 * an entry of a directory that is inside the root at that moment.
 */
export class RootWalker {
  readonly #root: string;
  readonly #io: FsIo;
  /** The root, held open for the walker's life where directories are walked by descriptor. */
  readonly #rootDir: DirRef;
  /** Walks under way. */
  #active = 0;
  #closed = false;

  private constructor(root: string, io: FsIo, rootDir: DirRef) {
    this.#root = root;
    this.#io = io;
    this.#rootDir = rootDir;
  }

  /**
   * A walker of `root` (its real host path, no link on it), holding a
   * descriptor on it where `/proc/self/fd` can be walked: Linux, with `/proc`
   * mounted and `O_PATH` as this module knows it. Elsewhere it walks by host
   * paths. {@link close} releases the descriptor.
   */
  static async open(root: string, io: FsIo): Promise<RootWalker> {
    const byPath = new RootWalker(root, io, { path: root, fd: -1 });
    if (process.platform !== 'linux') return byPath;
    let fd: number;
    try {
      fd = await io.open(root, DIR_FLAGS, 0);
    } catch {
      return byPath;
    }
    const dir = { path: `${PROC_FD}/${fd}`, fd };
    const walkable = await io.lstat(`${dir.path}/.`).then(
      (st) => st.isDirectory(),
      () => false,
    );
    if (walkable) return new RootWalker(root, io, dir);
    await io.close(fd).catch(() => {});
    return byPath;
  }

  /** Whether directories are held by descriptor (Linux) or named by path. */
  get byDescriptor(): boolean {
    return this.#rootDir.fd >= 0;
  }

  /** The descriptor held on the root, or -1. */
  get rootDescriptor(): number {
    return this.#rootDir.fd;
  }

  /**
   * Releases the root's descriptor once the walks under way have ended:
   * closed earlier, its number could be given to another directory while
   * they still use it. Later walks fail.
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#active === 0) await this.#close(this.#rootDir);
  }

  /**
   * Resolves `vpath` (a clean virtual path), runs `use` on the result and
   * then closes the directories it opened.
   */
  async at<T>(vpath: string, options: WalkOptions, use: (r: Resolved) => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new VfsError('failure', `${JSON.stringify(vpath)}: the filesystem is closed`, vpath);
    }
    // the kernel would refuse it too, but as an unexplained failure
    if (vpath.includes('\0')) {
      const shown = vpath.replaceAll('\0', '\\0');
      throw new VfsError(
        'invalid-path',
        `${JSON.stringify(shown)}: path contains a NUL byte`,
        shown,
      );
    }
    this.#active++;
    const stack: Step[] = [{ name: '', dir: this.#rootDir }];
    try {
      return await use(await this.#walk(vpath, namesOf(vpath).reverse(), stack, options));
    } finally {
      // the root stays open: the walk never pops it
      for (const step of stack.slice(1)) this.#release(step.dir);
      if (--this.#active === 0 && this.#closed) await this.#close(this.#rootDir);
    }
  }

  /**
   * Closes a directory of a walk without waiting: nothing uses its number
   * again, and a round trip to the thread pool costs more than the call.
   */
  #release(dir: DirRef): void {
    if (dir.fd >= 0) this.#io.close(dir.fd).catch(() => {});
  }

  async #close(dir: DirRef): Promise<void> {
    if (dir.fd >= 0) await this.#io.close(dir.fd).catch(() => {});
  }

  /** `todo` holds the names still to cross, the next one last. */
  async #walk(
    vpath: string,
    todo: string[],
    stack: Step[],
    options: WalkOptions,
  ): Promise<Resolved> {
    let links = 0;
    const follow = async (top: DirRef, name: string): Promise<void> => {
      if (options.links === 'refuse') {
        throw new VfsError(
          'invalid-path',
          `${JSON.stringify(vpath)}: a symbolic link appeared on the path`,
          vpath,
        );
      }
      if (++links > MAX_SYMLINKS) {
        throw new VfsError(
          'invalid-path',
          `${JSON.stringify(vpath)}: too many symbolic links`,
          vpath,
        );
      }
      let target = await this.#io.readlink(`${top.path}/${name}`);
      if (target.startsWith('/')) {
        // links made through this server store the root's host path before the virtual one
        if (target === this.#root || target.startsWith(`${this.#root}/`)) {
          target = target.slice(this.#root.length);
        } else if (options.links === 'check') {
          throw outsideRoot(vpath);
        }
        while (stack.length > 1) this.#release((stack.pop() as Step).dir);
      }
      todo.push(...namesOf(target).reverse());
    };

    for (;;) {
      const top = stack.at(-1) as Step;
      const name = todo.pop();
      if (name === undefined) {
        // the path ended on a directory of the stack: the root, or one reached by `..` or a link
        if (stack.length === 1) {
          const stat = options.followLast ? await this.#io.lstat(`${top.dir.path}/.`) : undefined;
          return this.#result(top.dir, '.', stack, options, stat);
        }
        stack.pop();
        this.#release(top.dir);
        todo.push(top.name);
        continue;
      }
      if (name === '..') {
        if (stack.length > 1) {
          stack.pop();
          this.#release(top.dir);
        } else if (options.links === 'check') {
          throw outsideRoot(vpath);
        }
        continue;
      }
      const at = `${top.dir.path}/${name}`;
      if (todo.length === 0) {
        if (!options.followLast) return this.#result(top.dir, name, stack, options);
        const stat = await this.#io.lstatIfAny(at);
        if (stat?.isSymbolicLink()) {
          await follow(top.dir, name);
          continue;
        }
        return this.#result(top.dir, name, stack, options, stat);
      }
      const child = await this.#openDir(at);
      if (child === 'missing') {
        if (options.links === 'check') return this.#checkRest(vpath, todo, stack, name);
        throw new VfsError(
          'not-found',
          `${JSON.stringify(vpath)}: no such file or directory`,
          vpath,
        );
      }
      if (child === 'not-a-directory') {
        if (!(await this.#isLink(at))) {
          throw new VfsError('not-a-directory', `${JSON.stringify(vpath)}: not a directory`, vpath);
        }
        await follow(top.dir, name);
        continue;
      }
      stack.push({ name, dir: child });
    }
  }

  #result(
    dir: DirRef,
    name: string,
    stack: readonly Step[],
    options: WalkOptions,
    stat?: Stats | null,
  ): Resolved {
    const names = stack.slice(1).map((s) => s.name);
    if (name !== '.') names.push(name);
    const at = `${dir.path}/${name}`;
    const path = `/${names.join('/')}`;
    // not a spread of the fields plus `stat`, which V8 builds on a slow path
    return options.followLast ? { dir, name, at, path, stat } : { dir, name, at, path };
  }

  /** The rest of a path past a missing directory, by names: it must not climb above the root. */
  #checkRest(
    vpath: string,
    todo: readonly string[],
    stack: readonly Step[],
    missing: string,
  ): Resolved {
    let depth = stack.length;
    for (const name of [...todo].reverse()) {
      depth += name === '..' ? -1 : 1;
      if (depth < 0) throw outsideRoot(vpath);
    }
    const top = (stack.at(-1) as Step).dir;
    return this.#result(top, missing, stack, { followLast: true, links: 'check' }, null);
  }

  async #openDir(at: string): Promise<DirRef | 'missing' | 'not-a-directory'> {
    try {
      if (this.byDescriptor) {
        const fd = await this.#io.open(at, DIR_FLAGS, 0);
        return { path: `${PROC_FD}/${fd}`, fd };
      }
      const stat = await this.#io.lstat(at);
      return stat.isDirectory() ? { path: at, fd: -1 } : 'not-a-directory';
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT') return 'missing';
      if (code === 'ENOTDIR' || code === 'ELOOP') return 'not-a-directory';
      throw err;
    }
  }

  async #isLink(at: string): Promise<boolean> {
    return (await this.#io.lstat(at)).isSymbolicLink();
  }
}
