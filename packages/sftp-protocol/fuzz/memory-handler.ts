import { posix } from 'node:path';
import {
  type Attrs,
  type SftpDirEntry,
  type SftpDirectory,
  type SftpFile,
  type SftpHandler,
  SftpStatusError,
  type SftpStatVfs,
  SSH_FX_FAILURE,
  SSH_FX_NO_SUCH_FILE,
  SSH_FXF_CREAT,
  SSH_FXF_EXCL,
  SSH_FXF_TRUNC,
} from '@sftpgo/sftp-protocol';

// Caps that keep a fuzzed session small, whatever offsets and sizes it asks for.
const MAX_FILE_SIZE = 1024 * 1024;
const MAX_NODES = 64;
const PAGE_SIZE = 2;

/** A file's bytes are the first `size` of `buf`, which grows by doubling. */
type FileNode = { kind: 'file'; buf: Buffer; size: number; mode: number };
type Node = FileNode | { kind: 'dir'; mode: number } | { kind: 'link'; target: string };

function fail(message: string): SftpStatusError {
  return new SftpStatusError(SSH_FX_FAILURE, message);
}

function missing(path: string): SftpStatusError {
  return new SftpStatusError(SSH_FX_NO_SUCH_FILE, `${path}: no such file`);
}

function attrsOf(node: Node): Attrs {
  if (node.kind === 'file') {
    return { size: node.size, mode: node.mode, uid: 1000, gid: 1000, atime: 0, mtime: 0 };
  }
  return { size: 0, mode: node.kind === 'dir' ? node.mode : 0o120777, atime: 0, mtime: 0 };
}

/**
 * An in-memory tree (`/file`, `/dir/a`, `/big`, `/link` → `/file`) for fuzzing and
 * property tests. A path containing `boom` makes the call throw a plain
 * Error; one containing `slow` answers a macrotask later, so that replies
 * overtake each other. It counts what a correct engine never does: a handle
 * left open once the session has ended, a call on a closed handle.
 */
export class MemoryHandler implements SftpHandler {
  /** Files and directories opened and not yet closed. */
  openHandles = 0;
  /** Calls made on a file or directory after its `close()`. */
  misuses = 0;
  readonly #nodes = new Map<string, Node>([
    ['/', { kind: 'dir', mode: 0o40755 }],
    ['/file', file(Buffer.from('0123456789'))],
    ['/dir', { kind: 'dir', mode: 0o40755 }],
    ['/dir/a', file(Buffer.alloc(3000, 'a'))],
    // Larger than a READ reply can carry, and than the stream's high-water mark.
    ['/big', file(Buffer.alloc(300_000, 'b'))],
    ['/link', { kind: 'link', target: '/file' }],
  ]);

  async #enter(path: string): Promise<string> {
    if (path.includes('boom')) throw new Error(`boom: ${path}`);
    if (path.includes('slow')) await new Promise((resolve) => setImmediate(resolve));
    return posix.resolve('/', path);
  }

  #get(path: string, followLinks = true): Node {
    let node = this.#nodes.get(path);
    if (followLinks && node?.kind === 'link') node = this.#nodes.get(node.target);
    if (!node) throw missing(path);
    return node;
  }

  #create(path: string, node: Node): void {
    if (this.#nodes.has(path)) throw fail(`${path}: exists`);
    if (this.#nodes.size >= MAX_NODES) throw fail('tree full');
    if (this.#nodes.get(posix.dirname(path))?.kind !== 'dir') throw fail(`${path}: no parent`);
    this.#nodes.set(path, node);
  }

  /** Counts one open handle until its `close()`, and any call made on it after that. */
  #opened(): { use(): void; close(): void } {
    let closed = false;
    this.openHandles++;
    return {
      use: () => {
        if (closed) this.misuses++;
      },
      close: () => {
        if (closed) this.misuses++;
        else this.openHandles--;
        closed = true;
      },
    };
  }

  async open(path: string, pflags: number): Promise<SftpFile> {
    const p = await this.#enter(path);
    if (!this.#nodes.has(p)) {
      if (!(pflags & SSH_FXF_CREAT)) throw missing(p);
      this.#create(p, file(Buffer.alloc(0)));
    } else if (pflags & SSH_FXF_CREAT && pflags & SSH_FXF_EXCL) throw fail(`${p}: exists`);
    const node = this.#get(p);
    if (node.kind !== 'file') throw fail(`${p}: not a file`);
    if (pflags & SSH_FXF_TRUNC) node.size = 0;
    const handle = this.#opened();
    return {
      async read(position, length, into, offset) {
        handle.use();
        if (position >= node.size) return 0;
        return node.buf.copy(into, offset, position, Math.min(position + length, node.size));
      },
      async write(position, data) {
        handle.use();
        write(node, position, data);
      },
      async stat() {
        handle.use();
        return attrsOf(node);
      },
      async setstat(attrs) {
        handle.use();
        setAttrs(node, attrs);
      },
      async sync() {
        handle.use();
      },
      async close() {
        handle.close();
      },
    };
  }

  async opendir(path: string): Promise<SftpDirectory> {
    const p = await this.#enter(path);
    if (this.#get(p).kind !== 'dir') throw fail(`${p}: not a directory`);
    const entries: SftpDirEntry[] = [];
    for (const [name, node] of this.#nodes) {
      if (name !== '/' && posix.dirname(name) === p) {
        entries.push({ filename: posix.basename(name), attrs: attrsOf(node) });
      }
    }
    const handle = this.#opened();
    return {
      async read() {
        handle.use();
        return entries.length > 0 ? entries.splice(0, PAGE_SIZE) : null;
      },
      async close() {
        handle.close();
      },
    };
  }

  async stat(path: string): Promise<Attrs> {
    return attrsOf(this.#get(await this.#enter(path)));
  }

  async lstat(path: string): Promise<Attrs> {
    return attrsOf(this.#get(await this.#enter(path), false));
  }

  async setstat(path: string, attrs: Attrs): Promise<void> {
    const node = this.#get(await this.#enter(path));
    if (node.kind === 'file') setAttrs(node, attrs);
  }

  async remove(path: string): Promise<void> {
    const p = await this.#enter(path);
    if (this.#get(p, false).kind === 'dir') throw fail(`${p}: is a directory`);
    this.#nodes.delete(p);
  }

  async mkdir(path: string): Promise<void> {
    this.#create(await this.#enter(path), { kind: 'dir', mode: 0o40755 });
  }

  async rmdir(path: string): Promise<void> {
    const p = await this.#enter(path);
    if (this.#get(p, false).kind !== 'dir') throw fail(`${p}: not a directory`);
    for (const name of this.#nodes.keys()) {
      if (posix.dirname(name) === p && name !== p) throw fail(`${p}: not empty`);
    }
    if (p === '/') throw fail('/: busy');
    this.#nodes.delete(p);
  }

  async realpath(path: string): Promise<string> {
    return this.#enter(path);
  }

  async rename(from: string, to: string, options: { overwrite: boolean }): Promise<void> {
    const [src, dst] = [await this.#enter(from), await this.#enter(to)];
    const node = this.#get(src, false);
    if (src === dst) return;
    // Directories stay put, so that no entry is ever left without its parent.
    if (node.kind === 'dir') throw fail(`${src}: renaming directories is not supported here`);
    const target = this.#nodes.get(dst);
    if (target && (!options.overwrite || target.kind === 'dir')) throw fail(`${dst}: exists`);
    this.#nodes.delete(dst);
    this.#create(dst, node);
    this.#nodes.delete(src);
  }

  async readlink(path: string): Promise<string> {
    const node = this.#get(await this.#enter(path), false);
    if (node.kind !== 'link') throw fail(`${path}: not a link`);
    return node.target;
  }

  async symlink(linkPath: string, targetPath: string): Promise<void> {
    const target = await this.#enter(targetPath);
    this.#create(await this.#enter(linkPath), { kind: 'link', target });
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    const node = this.#get(await this.#enter(existingPath), false);
    if (node.kind === 'dir') throw fail(`${existingPath}: is a directory`);
    this.#create(await this.#enter(newPath), node);
  }

  async statvfs(path: string): Promise<SftpStatVfs> {
    this.#get(await this.#enter(path));
    return {
      bsize: 4096,
      frsize: 4096,
      blocks: MAX_NODES * (MAX_FILE_SIZE / 4096),
      bfree: 0,
      bavail: 0,
      files: MAX_NODES,
      ffree: MAX_NODES - this.#nodes.size,
      favail: MAX_NODES - this.#nodes.size,
      fsid: 1,
      flag: 0,
      namemax: 255,
    };
  }

  async homeDirectory(username: string): Promise<string> {
    if (username !== '' && username !== 'user') throw missing(`~${username}`);
    return '/';
  }
}

function file(content: Buffer): FileNode {
  return { kind: 'file', buf: content, size: content.length, mode: 0o100644 };
}

function write(node: FileNode, position: number, data: Buffer): void {
  const end = position + data.length;
  if (end > MAX_FILE_SIZE) throw fail(`write past ${MAX_FILE_SIZE} bytes`);
  if (end > node.buf.length) {
    const buf = Buffer.alloc(Math.min(MAX_FILE_SIZE, Math.max(end, node.buf.length * 2)));
    node.buf.copy(buf, 0, 0, node.size);
    node.buf = buf;
  } else if (position > node.size) {
    node.buf.fill(0, node.size, position); // a hole reads as zeros
  }
  data.copy(node.buf, position);
  node.size = Math.max(node.size, end);
}

function setAttrs(node: FileNode, attrs: Attrs): void {
  if (attrs.mode !== undefined) node.mode = 0o100000 | (attrs.mode & 0o7777);
  if (attrs.size === undefined) return;
  if (attrs.size > node.size) write(node, attrs.size, Buffer.alloc(0));
  else node.size = attrs.size;
}
