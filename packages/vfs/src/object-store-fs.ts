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
import { ObjectReadHandle, type ObjectTarget, ObjectWriteHandle } from './object-handles.js';
import { KeyMap } from './object-keys.js';
import type {
  ObjectInfo,
  ObjectPage,
  ObjectRequest,
  ObjectStore,
  ObjectStoreEvents,
} from './object-store.js';
import type { UploadBudget } from './upload-budget.js';

export interface ObjectStoreFsOptions {
  /** Keys below this prefix (`users/alice/`) are the user's whole storage. */
  readonly keyPrefix?: string;
  /** Bytes fetched by each ranged read of a download. Default 2 MiB. */
  readonly readChunkSize?: number;
  /** The server's memory for uploads, shared by every storage given the same budget. */
  readonly uploadBudget?: UploadBudget;
  /** Told of every transfer and counted call, for metrics. */
  readonly events?: ObjectStoreEvents;
}

/** What every object store can do: files written whole, no links, no attributes. */
export const OBJECT_STORE_CAPABILITIES: FsCapabilities = Object.freeze({
  atomicRename: false,
  randomAccessWrites: false,
  readWrite: false,
  atomicUploads: true,
  symlinks: false,
  hardLinks: false,
  permissions: false,
  ownership: false,
  times: false,
  statvfs: false,
  realDirectories: false,
});

/** Copies or deletes this many objects at once when a directory is renamed. */
const RENAME_PARALLELISM = 8;

const fileStat = (o: ObjectInfo): FileStat => {
  const ms = o.modified?.getTime() ?? 0;
  return {
    size: o.size,
    mode: S_IFREG | 0o644,
    uid: 0,
    gid: 0,
    nlink: 1,
    atimeMs: ms,
    mtimeMs: ms,
  };
};

const dirStat = (ms: number): FileStat => ({
  size: 0,
  mode: S_IFDIR | 0o755,
  uid: 0,
  gid: 0,
  nlink: 2,
  atimeMs: ms,
  mtimeMs: ms,
});

const unsupported = (op: string, path: string, why: string) => fail('unsupported', op, path, why);

/** `store`, telling `events` of each listing, copy, delete and bucket check. */
function observed(store: ObjectStore, events: ObjectStoreEvents | undefined): ObjectStore {
  if (!events) return store;
  const count =
    <A extends unknown[], T>(kind: ObjectRequest, call: (...args: A) => Promise<T>) =>
    async (...args: A): Promise<T> => {
      try {
        const result = await call(...args);
        events.request(kind);
        return result;
      } catch (err) {
        events.request(kind, err);
        throw err;
      }
    };
  return {
    uploadMemory: store.uploadMemory,
    head: (key) => store.head(key),
    list: count('list_objects', (prefix, options) => store.list(prefix, options)),
    readRange: (key, start, end) => store.readRange(key, start, end),
    upload: (key) => store.upload(key),
    putEmpty: (key) => store.putEmpty(key),
    copy: count('copy_object', (from, to) => store.copy(from, to)),
    delete: count('delete_object', (key) => store.delete(key)),
    checkBucket: count('head_bucket', () => store.checkBucket()),
    error: (err, op, path) => store.error(err, op, path),
  };
}

/** The entries of a listing page of the directory whose keys start with `dirPrefix`. */
function entriesOf(page: ObjectPage, dirPrefix: string, stat: FileStat): DirEntry[] {
  const entries: DirEntry[] = [];
  for (const p of page.prefixes) {
    const name = p.slice(dirPrefix.length, -1);
    if (name) entries.push({ name, stat });
  }
  for (const o of page.objects) {
    const name = o.key.slice(dirPrefix.length);
    // the directory's own marker
    if (name && !name.includes('/')) entries.push({ name, stat: fileStat(o) });
  }
  return entries;
}

/**
 * A user's storage in an object store, below a key prefix. Directories are
 * key prefixes, with a `dir/` marker object for those made by `mkdir`; files
 * are written whole, front to back, and read by ranges. The store's adapter
 * ({@link ObjectStore}) does the calls; this class gives them the meaning of
 * a filesystem, the same for every store.
 */
export class ObjectStoreFs implements Fs {
  readonly capabilities = OBJECT_STORE_CAPABILITIES;
  readonly #store: ObjectStore;
  readonly #keys: KeyMap;
  readonly #readChunk: number;
  readonly #budget: UploadBudget | undefined;
  readonly #events: ObjectStoreEvents | undefined;
  /** Directories without a marker (the root, prefixes) have no time of their own. */
  readonly #created = Date.now();

  constructor(store: ObjectStore, options: ObjectStoreFsOptions = {}) {
    this.#store = observed(store, options.events);
    this.#events = options.events;
    this.#keys = new KeyMap(options.keyPrefix ?? '');
    this.#readChunk = Math.max(64 * 1024, options.readChunkSize ?? 2 * 1024 * 1024);
    this.#budget = options.uploadBudget;
  }

  async #call<T>(op: string, path: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw this.#store.error(err, op, path);
    }
  }

  #head(op: string, key: string, path: string): Promise<ObjectInfo | undefined> {
    return this.#call(op, path, () => this.#store.head(key));
  }

  #list(
    op: string,
    path: string,
    prefix: string,
    options: { delimiter: boolean; token?: string; max?: number },
  ) {
    return this.#call(op, path, () => this.#store.list(prefix, options));
  }

  #target(key: string, path: string): ObjectTarget {
    return { store: this.#store, key, path, ...(this.#events && { events: this.#events }) };
  }

  /**
   * Checks that the bucket exists and answers, as a session starts: a
   * missing bucket or a refused credential is told once, clearly, rather
   * than as the first listing's failure.
   */
  async checkBucket(): Promise<void> {
    await this.#call('open', '/', () => this.#store.checkBucket());
  }

  /** The directory at `key`: by its marker, else by anything stored below it. */
  async #dir(op: string, key: string, path: string): Promise<FileStat | undefined> {
    if (key === this.#keys.prefix) return dirStat(this.#created);
    const marker = await this.#head(op, `${key}/`, path);
    if (marker) return dirStat(marker.modified?.getTime() ?? this.#created);
    const below = await this.#list(op, path, `${key}/`, { delimiter: false, max: 1 });
    return below.objects.length > 0 ? dirStat(this.#created) : undefined;
  }

  /** Whether the directory at `key` holds anything but its marker. */
  async #holdsEntries(op: string, key: string, path: string): Promise<boolean> {
    const inside = await this.#list(op, path, `${key}/`, { delimiter: false, max: 2 });
    return inside.objects.some((o) => o.key !== `${key}/`);
  }

  async stat(path: string): Promise<FileStat> {
    const r = this.#keys.resolve(path);
    const file = r.key === this.#keys.prefix ? undefined : await this.#head('stat', r.key, r.path);
    const stat = file ? fileStat(file) : await this.#dir('stat', r.key, r.path);
    if (!stat) throw fail('not-found', 'stat', r.path, 'no such file or directory');
    return stat;
  }

  lstat(path: string): Promise<FileStat> {
    return this.stat(path);
  }

  async open(path: string, flags: OpenFlags, mode = 0o666): Promise<FileHandle> {
    const r = this.#keys.resolve(path);
    const writing = flags.write || flags.append;
    if (flags.read && writing) {
      throw unsupported('open', r.path, 'an object is read or written, not both at once');
    }
    if (!writing) {
      const found = await this.#head('open', r.key, r.path);
      if (found)
        return new ObjectReadHandle(this.#target(r.key, r.path), fileStat(found), this.#readChunk);
      if (await this.#dir('open', r.key, r.path)) {
        throw fail('is-a-directory', 'open', r.path, 'is a directory');
      }
      throw fail('not-found', 'open', r.path, 'no such file or directory');
    }
    if (r.key === this.#keys.prefix) throw fail('is-a-directory', 'open', r.path, 'is a directory');
    if (flags.append) throw unsupported('open', r.path, 'objects cannot be appended to');
    // a plain create-and-truncate, what uploads send, costs no request here
    if (!flags.truncate || flags.exclusive || !flags.create) {
      const existing = await this.#head('open', r.key, r.path);
      if (existing && flags.create && flags.exclusive) {
        throw fail('exists', 'open', r.path, 'file already exists');
      }
      if (!existing && !flags.create) {
        throw fail('not-found', 'open', r.path, 'no such file or directory');
      }
      if (existing && existing.size > 0 && !flags.truncate) {
        throw unsupported('open', r.path, 'objects are written whole: resuming is not supported');
      }
    }
    return new ObjectWriteHandle(this.#target(r.key, r.path), mode & 0o777, this.#budget);
  }

  async opendir(path: string): Promise<DirHandle> {
    const r = this.#keys.resolve(path);
    const dirPrefix = this.#keys.directoryPrefix(r.key);
    const stat = dirStat(this.#created);
    const first = await this.#list('opendir', r.path, dirPrefix, { delimiter: true });
    const found = first.objects.length > 0 || first.prefixes.length > 0;
    if (!found && r.key !== this.#keys.prefix) {
      if (await this.#head('opendir', r.key, r.path)) {
        throw fail('not-a-directory', 'opendir', r.path, 'not a directory');
      }
      throw fail('not-found', 'opendir', r.path, 'no such file or directory');
    }
    let next: ObjectPage | undefined = first;
    return {
      read: async () => {
        while (next) {
          const current: ObjectPage = next;
          next = current.next
            ? await this.#list('opendir', r.path, dirPrefix, {
                delimiter: true,
                token: current.next,
              })
            : undefined;
          const entries = entriesOf(current, dirPrefix, stat);
          if (entries.length > 0) return entries;
        }
        return null;
      },
      close: async () => {
        next = undefined;
      },
    };
  }

  async mkdir(path: string): Promise<void> {
    const r = this.#keys.resolve(path);
    const taken =
      r.key === this.#keys.prefix ||
      (await this.#head('mkdir', r.key, r.path)) !== undefined ||
      (await this.#dir('mkdir', r.key, r.path)) !== undefined;
    if (taken) throw fail('exists', 'mkdir', r.path, 'file already exists');
    await this.#call('mkdir', r.path, () => this.#store.putEmpty(`${r.key}/`));
  }

  async rmdir(path: string): Promise<void> {
    const r = this.#keys.resolve(path);
    if (r.key === this.#keys.prefix) {
      throw fail('permission', 'rmdir', r.path, 'the root cannot be removed');
    }
    const marker = `${r.key}/`;
    const below = await this.#list('rmdir', r.path, marker, { delimiter: false, max: 2 });
    if (below.objects.some((o) => o.key !== marker)) {
      throw fail('not-empty', 'rmdir', r.path, 'directory not empty');
    }
    if (below.objects.length === 0) {
      if (await this.#head('rmdir', r.key, r.path)) {
        throw fail('not-a-directory', 'rmdir', r.path, 'not a directory');
      }
      throw fail('not-found', 'rmdir', r.path, 'no such file or directory');
    }
    await this.#call('rmdir', r.path, () => this.#store.delete(marker));
  }

  async remove(path: string): Promise<void> {
    const r = this.#keys.resolve(path);
    const file =
      r.key === this.#keys.prefix ? undefined : await this.#head('remove', r.key, r.path);
    if (!file) {
      if (await this.#dir('remove', r.key, r.path)) {
        throw fail('is-a-directory', 'remove', r.path, 'is a directory');
      }
      throw fail('not-found', 'remove', r.path, 'no such file or directory');
    }
    await this.#call('remove', r.path, () => this.#store.delete(r.key));
  }

  async rename(from: string, to: string): Promise<void> {
    const source = this.#keys.resolve(from);
    const target = this.#keys.resolve(to);
    const root = this.#keys.prefix;
    if (source.key === root || target.key === root) {
      throw fail('permission', 'rename', source.path, 'the root cannot be moved or replaced');
    }
    if (source.path === target.path) return;
    const file = await this.#head('rename', source.key, source.path);
    const targetDir = await this.#dir('rename', target.key, target.path);
    if (file) {
      if (targetDir) throw fail('is-a-directory', 'rename', target.path, 'is a directory');
      await this.#call('rename', source.path, () => this.#store.copy(source.key, target.key));
      await this.#call('rename', source.path, () => this.#store.delete(source.key));
      return;
    }
    if (!(await this.#dir('rename', source.key, source.path))) {
      throw fail('not-found', 'rename', source.path, 'no such file or directory');
    }
    if (target.path.startsWith(`${source.path}/`)) {
      throw fail('invalid-path', 'rename', source.path, 'a directory cannot move into itself');
    }
    if (await this.#head('rename', target.key, target.path)) {
      throw fail('not-a-directory', 'rename', target.path, 'not a directory');
    }
    if (targetDir && (await this.#holdsEntries('rename', target.key, target.path))) {
      throw fail('not-empty', 'rename', target.path, 'directory not empty');
    }
    await this.#renameTree(source, target);
  }

  /** Copies every object below `source` to `target`, then deletes the originals. */
  async #renameTree(source: { key: string; path: string }, target: { key: string; path: string }) {
    const keys: string[] = [];
    for (let token: string | undefined, more = true; more; ) {
      const page = await this.#list('rename', source.path, `${source.key}/`, {
        delimiter: false,
        ...(token ? { token } : {}),
      });
      keys.push(...page.objects.map((o) => o.key));
      token = page.next;
      more = token !== undefined;
    }
    const moved = (key: string) => `${target.key}/${key.slice(source.key.length + 1)}`;
    const copy = (key: string) => this.#store.copy(key, moved(key));
    await this.#eachKey(
      keys,
      copy,
      source.path,
      (n) => `${n} of ${keys.length} objects copied, none removed from the source`,
    );
    const remove = (key: string) => this.#store.delete(key);
    await this.#eachKey(
      keys,
      remove,
      source.path,
      (n) => `every object copied, ${n} of ${keys.length} removed from the source`,
    );
  }

  /** One step of a directory rename over every key; a failure says how far it went. */
  async #eachKey(
    keys: readonly string[],
    step: (key: string) => Promise<void>,
    path: string,
    progress: (done: number) => string,
  ): Promise<void> {
    let done = 0;
    try {
      await inBatches(keys, async (key) => {
        await step(key);
        done++;
      });
    } catch (err) {
      const reason = this.#store.error(err, 'rename', path).message;
      throw fail('failure', 'rename', path, `${reason}; ${progress(done)}`);
    }
  }

  async setstat(path: string, attrs: SetStat): Promise<void> {
    if (Object.values(attrs).some((v) => v !== undefined)) {
      throw unsupported(
        'setstat',
        this.#keys.resolve(path).path,
        'objects have no attributes to change',
      );
    }
    await this.stat(path);
  }

  async symlink(_target: string, path: string): Promise<void> {
    throw unsupported('symlink', path, 'object storage has no links');
  }

  async readlink(path: string): Promise<string> {
    throw unsupported('readlink', path, 'object storage has no links');
  }

  async link(_existing: string, path: string): Promise<void> {
    throw unsupported('link', path, 'object storage has no links');
  }

  async realpath(path: string): Promise<string> {
    return this.#keys.resolve(path).path;
  }

  async statvfs(path: string): Promise<StatVfs> {
    throw unsupported('statvfs', path, 'object storage has no disk statistics');
  }
}

/** Runs `each` on every item, {@link RENAME_PARALLELISM} at a time; stops at the first failure. */
async function inBatches<T>(items: readonly T[], each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await each(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(RENAME_PARALLELISM, items.length) }, worker));
}
