import { opError as fail } from './errors.js';
import {
  type DirEntry,
  type DirHandle,
  type FileHandle,
  type FileStat,
  type Fs,
  type FsCapabilities,
  type OpenFlags,
  S_IFDIR,
  S_IFREG,
  type SetStat,
  type StatVfs,
} from './fs.js';
import { cleanVirtualPath } from './virtual-path.js';

/** Entries handed out per page of a listing, as a disk's listing is paged. */
const PAGE_SIZE = 256;

interface Meta {
  readonly ino: number;
  mode: number;
  atimeMs: number;
  mtimeMs: number;
}

interface FileNode extends Meta {
  readonly kind: 'file';
  /** Holds `size` bytes; grows by doubling, so that appends stay cheap. */
  data: Buffer;
  size: number;
}

interface DirNode extends Meta {
  readonly kind: 'dir';
  readonly entries: Map<string, Node>;
}

type Node = FileNode | DirNode;

export interface MemoryFsOptions {
  /** The owner every file is reported with: memory has no owners to change. */
  readonly uid?: number;
  readonly gid?: number;
}

const unsupported = (op: string, path: string) =>
  fail('unsupported', op, path, 'not supported by in-memory storage');

/**
 * A filesystem held in memory: for tests, for embedding applications that
 * serve generated content, and as the smallest example of a backend. It
 * keeps files and directories with their modes and times, and has no links,
 * owners or disk statistics.
 */
export class MemoryFs implements Fs {
  readonly capabilities: FsCapabilities = Object.freeze({
    atomicRename: true,
    randomAccessWrites: true,
    readWrite: true,
    atomicUploads: false,
    symlinks: false,
    hardLinks: false,
    permissions: true,
    ownership: false,
    times: true,
    statvfs: false,
    realDirectories: true,
  });
  readonly #root: DirNode;
  readonly #uid: number;
  readonly #gid: number;
  #nextIno = 1;

  constructor(options: MemoryFsOptions = {}) {
    this.#uid = options.uid ?? 0;
    this.#gid = options.gid ?? 0;
    this.#root = this.#dir(0o755);
  }

  #meta(mode: number): Meta {
    const now = Date.now();
    return { ino: this.#nextIno++, mode: mode & 0o777, atimeMs: now, mtimeMs: now };
  }

  #dir(mode: number): DirNode {
    return { kind: 'dir', entries: new Map(), ...this.#meta(mode) };
  }

  #stat(node: Node): FileStat {
    const isDir = node.kind === 'dir';
    return {
      size: isDir ? 0 : node.size,
      mode: (isDir ? S_IFDIR : S_IFREG) | node.mode,
      uid: this.#uid,
      gid: this.#gid,
      nlink: isDir ? 2 : 1,
      atimeMs: node.atimeMs,
      mtimeMs: node.mtimeMs,
    };
  }

  /** The directory holding `path` and the name in it; `name` is '' for the root. */
  #locate(op: string, path: string): { parent: DirNode; name: string; clean: string } {
    const clean = cleanVirtualPath(path);
    const parts = clean.split('/').filter(Boolean);
    const name = parts.pop() ?? '';
    let dir = this.#root;
    for (const part of parts) {
      const next = dir.entries.get(part);
      if (!next) throw fail('not-found', op, clean, 'no such file or directory');
      if (next.kind !== 'dir') throw fail('not-a-directory', op, clean, 'not a directory');
      dir = next;
    }
    return { parent: dir, name, clean };
  }

  #find(op: string, path: string): { node: Node; clean: string } {
    const { parent, name, clean } = this.#locate(op, path);
    const node = name === '' ? this.#root : parent.entries.get(name);
    if (!node) throw fail('not-found', op, clean, 'no such file or directory');
    return { node, clean };
  }

  async stat(path: string): Promise<FileStat> {
    return this.#stat(this.#find('stat', path).node);
  }

  lstat(path: string): Promise<FileStat> {
    return this.stat(path);
  }

  async open(path: string, flags: OpenFlags, mode = 0o666): Promise<FileHandle> {
    const { parent, name, clean } = this.#locate('open', path);
    let node = name === '' ? this.#root : parent.entries.get(name);
    if (node && flags.create && flags.exclusive) {
      throw fail('exists', 'open', clean, 'file already exists');
    }
    if (node?.kind === 'dir') throw fail('is-a-directory', 'open', clean, 'is a directory');
    if (!node) {
      if (!flags.create) throw fail('not-found', 'open', clean, 'no such file or directory');
      node = { kind: 'file', data: Buffer.alloc(0), size: 0, ...this.#meta(mode) };
      parent.entries.set(name, node);
      parent.mtimeMs = node.mtimeMs;
    } else if (flags.truncate && (flags.write || flags.append)) {
      node.size = 0;
      node.mtimeMs = Date.now();
    }
    return new MemoryFileHandle(node, flags, clean, (n) => this.#stat(n));
  }

  async opendir(path: string): Promise<DirHandle> {
    const { node, clean } = this.#find('opendir', path);
    if (node.kind !== 'dir') throw fail('not-a-directory', 'opendir', clean, 'not a directory');
    // a snapshot, as a disk listing under way does not see later changes reliably either
    const entries: DirEntry[] = [...node.entries].map(([n, child]) => ({
      name: n,
      stat: this.#stat(child),
    }));
    let next = 0;
    return {
      read: async () => {
        if (next >= entries.length) return null;
        const page = entries.slice(next, next + PAGE_SIZE);
        next += page.length;
        return page;
      },
      close: async () => {},
    };
  }

  async mkdir(path: string, mode = 0o777): Promise<void> {
    const { parent, name, clean } = this.#locate('mkdir', path);
    if (name === '' || parent.entries.has(name)) {
      throw fail('exists', 'mkdir', clean, 'file already exists');
    }
    const dir = this.#dir(mode);
    parent.entries.set(name, dir);
    parent.mtimeMs = dir.mtimeMs;
  }

  async rmdir(path: string): Promise<void> {
    const { parent, name, clean } = this.#locate('rmdir', path);
    if (name === '') throw fail('permission', 'rmdir', clean, 'the root cannot be removed');
    const node = parent.entries.get(name);
    if (!node) throw fail('not-found', 'rmdir', clean, 'no such file or directory');
    if (node.kind !== 'dir') throw fail('not-a-directory', 'rmdir', clean, 'not a directory');
    if (node.entries.size > 0) throw fail('not-empty', 'rmdir', clean, 'directory not empty');
    parent.entries.delete(name);
    parent.mtimeMs = Date.now();
  }

  async remove(path: string): Promise<void> {
    const { parent, name, clean } = this.#locate('remove', path);
    const node = name === '' ? this.#root : parent.entries.get(name);
    if (!node) throw fail('not-found', 'remove', clean, 'no such file or directory');
    if (node.kind === 'dir') throw fail('is-a-directory', 'remove', clean, 'is a directory');
    parent.entries.delete(name);
    parent.mtimeMs = Date.now();
  }

  async rename(from: string, to: string): Promise<void> {
    const source = this.#locate('rename', from);
    const target = this.#locate('rename', to);
    const node = source.name === '' ? this.#root : source.parent.entries.get(source.name);
    if (!node) throw fail('not-found', 'rename', source.clean, 'no such file or directory');
    if (source.name === '' || target.name === '') {
      throw fail('permission', 'rename', source.clean, 'the root cannot be moved or replaced');
    }
    if (source.clean === target.clean) return;
    if (node.kind === 'dir' && target.clean.startsWith(`${source.clean}/`)) {
      throw fail('invalid-path', 'rename', source.clean, 'a directory cannot move into itself');
    }
    const replaced = target.parent.entries.get(target.name);
    if (replaced?.kind === 'dir') {
      if (node.kind !== 'dir')
        throw fail('is-a-directory', 'rename', target.clean, 'is a directory');
      if (replaced.entries.size > 0) {
        throw fail('not-empty', 'rename', target.clean, 'directory not empty');
      }
    } else if (replaced && node.kind === 'dir') {
      throw fail('not-a-directory', 'rename', target.clean, 'not a directory');
    }
    source.parent.entries.delete(source.name);
    target.parent.entries.set(target.name, node);
    const now = Date.now();
    source.parent.mtimeMs = now;
    target.parent.mtimeMs = now;
  }

  async setstat(path: string, attrs: SetStat): Promise<void> {
    const { node, clean } = this.#find('setstat', path);
    applySetStat(node, attrs, clean);
  }

  async symlink(_target: string, path: string): Promise<void> {
    throw unsupported('symlink', path);
  }

  async readlink(path: string): Promise<string> {
    throw unsupported('readlink', path);
  }

  async link(_existing: string, path: string): Promise<void> {
    throw unsupported('link', path);
  }

  /** Without links every path is its own real path; only its parents must exist. */
  async realpath(path: string): Promise<string> {
    return this.#locate('realpath', path).clean;
  }

  async statvfs(path: string): Promise<StatVfs> {
    throw unsupported('statvfs', path);
  }
}

function applySetStat(node: Node, attrs: SetStat, path: string): void {
  if (attrs.uid !== undefined || attrs.gid !== undefined) throw unsupported('chown', path);
  if (attrs.size !== undefined) {
    if (node.kind === 'dir') throw fail('is-a-directory', 'truncate', path, 'is a directory');
    resize(node, attrs.size);
    node.mtimeMs = Date.now();
  }
  if (attrs.mode !== undefined) node.mode = attrs.mode & 0o777;
  if (attrs.atimeMs !== undefined) node.atimeMs = attrs.atimeMs;
  if (attrs.mtimeMs !== undefined) node.mtimeMs = attrs.mtimeMs;
}

/** Sets the file's size, zero-filling what it gains, as a truncate that extends does. */
function resize(file: FileNode, size: number): void {
  if (size > file.data.length) {
    const grown = Buffer.alloc(Math.max(size, file.data.length * 2));
    file.data.copy(grown, 0, 0, file.size);
    file.data = grown;
  } else if (size > file.size) {
    file.data.fill(0, file.size, size);
  }
  file.size = size;
}

class MemoryFileHandle implements FileHandle {
  #closed = false;

  constructor(
    private readonly file: FileNode,
    private readonly flags: OpenFlags,
    private readonly path: string,
    private readonly statOf: (node: Node) => FileStat,
  ) {}

  #check(op: string, allowed: boolean | undefined): void {
    if (this.#closed) throw fail('failure', op, this.path, 'file is closed');
    if (!allowed) throw fail('permission', op, this.path, `file not open for ${op}`);
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.#check('reading', this.flags.read);
    const file = this.file;
    if (position >= file.size) return 0;
    const n = Math.min(length, file.size - position);
    file.data.copy(buffer, offset, position, position + n);
    file.atimeMs = Date.now();
    return n;
  }

  async write(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.#check('writing', this.flags.write || this.flags.append);
    const file = this.file;
    const at = this.flags.append ? file.size : position;
    if (at + length > file.size) resize(file, at + length);
    buffer.copy(file.data, at, offset, offset + length);
    file.mtimeMs = Date.now();
    return length;
  }

  async stat(): Promise<FileStat> {
    this.#check('stat', true);
    return this.statOf(this.file);
  }

  async setstat(attrs: SetStat): Promise<void> {
    this.#check('setstat', true);
    applySetStat(this.file, attrs, this.path);
  }

  async sync(): Promise<void> {
    this.#check('sync', true);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
