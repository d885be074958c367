import { open as openFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Database, RootDatabase } from 'lmdb';
import { loadDriverModule } from './driver-module.js';
import { ProviderError, ValidationError } from './errors.js';
import { checkLastLogin, prepareUser, usageOf } from './prepare-user.js';
import type { DataProvider, UserQuery } from './provider.js';
import { type QuotaChange, quotaChangeProblems, withQuotaChange } from './quota-change.js';
import type { User, UserInput } from './user.js';
import { normalizeUserQuery } from './user-query.js';

export interface BoltProviderOptions {
  /**
   * The database file, created when missing; its folder must exist. LMDB
   * keeps its lock beside it, in `<path>-lock`.
   */
  readonly path: string;
}

/** The layout this code reads and writes, stored as `{"version": N}` as bbolt does. */
const DB_VERSION = 1;

/**
 * The layout of the reference server's bbolt provider, in LMDB named
 * databases of JSON values: `users` (username → user), `users_id_idx`
 * (id → username), `db_version` (`version` → `{"version": N}`). bbolt keeps
 * a bucket's id sequence in the bucket itself; here `sequences` (`users` →
 * the last id given) holds it, so that no id is given twice, even after a delete.
 *
 * Every read-modify-write runs in one LMDB write transaction: LMDB lets one
 * writer at a time into the file, across processes, and the transaction
 * reads the latest commit, so no update is lost.
 */
class BoltProvider implements DataProvider {
  readonly #root: RootDatabase;
  readonly #users: Database<User, string>;
  readonly #ids: Database<string, number>;
  readonly #sequences: Database<number, string>;
  #closed = false;

  constructor(root: RootDatabase) {
    this.#root = root;
    this.#users = root.openDB({ name: 'users' });
    this.#ids = root.openDB({ name: 'users_id_idx' });
    this.#sequences = root.openDB({ name: 'sequences' });
  }

  async addUser(input: UserInput): Promise<User> {
    const prepared = await prepareUser(input);
    return this.#write(() => {
      if (this.#users.get(prepared.username) !== undefined) throw conflict(prepared.username);
      const user: User = { id: this.#nextId(), ...prepared };
      this.#put(user);
      return user;
    });
  }

  async updateUser(id: number, input: UserInput): Promise<User> {
    const prepared = await prepareUser(input);
    return this.#write(() => {
      const existing = this.#byId(id);
      if (!existing) throw idNotFound(id);
      if (prepared.username !== existing.username) {
        if (this.#users.get(prepared.username) !== undefined) throw conflict(prepared.username);
        this.#users.removeSync(existing.username);
      }
      const user: User = { id, ...prepared, ...usageOf(existing) };
      this.#put(user);
      return user;
    });
  }

  async upsertUser(input: UserInput): Promise<User> {
    const prepared = await prepareUser(input);
    return this.#write(() => {
      const existing = this.#users.get(prepared.username);
      const user: User = existing
        ? { id: existing.id, ...prepared, ...usageOf(existing) }
        : { id: this.#nextId(), ...prepared };
      this.#put(user);
      return user;
    });
  }

  async deleteUser(id: number): Promise<void> {
    await this.#write(() => {
      const existing = this.#byId(id);
      if (!existing) throw idNotFound(id);
      this.#users.removeSync(existing.username);
      this.#ids.removeSync(id);
    });
  }

  async getUserById(id: number): Promise<User | undefined> {
    return this.#read(() => this.#byId(id));
  }

  async getUserByUsername(username: string): Promise<User | undefined> {
    return this.#read(() => this.#users.get(username));
  }

  async listUsers(query?: UserQuery): Promise<User[]> {
    const { limit, offset, order, username } = normalizeUserQuery(query);
    return this.#read(() => {
      if (username !== undefined) {
        const user = this.#users.get(username);
        return (user ? [user] : []).slice(offset, offset + limit);
      }
      // Keys are ordered by their UTF-8 bytes, which for the ASCII of
      // usernames is the order of `<`.
      const range = this.#users.getRange({ reverse: order === 'DESC', offset, limit });
      return Array.from(range, ({ value }) => value);
    });
  }

  async updateQuota(username: string, change: QuotaChange): Promise<void> {
    const problems = quotaChangeProblems(change);
    if (problems.length > 0) throw new ValidationError(problems);
    await this.#write(() => {
      this.#users.putSync(username, withQuotaChange(this.#existing(username), change));
    });
  }

  async updateLastLogin(username: string, when: number = Date.now()): Promise<void> {
    checkLastLogin(when);
    await this.#write(() => {
      this.#users.putSync(username, { ...this.#existing(username), last_login: when });
    });
  }

  async checkAvailability(): Promise<void> {
    this.#read(() => this.#sequences.get('users'));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#root.close();
  }

  /**
   * Runs `action` in a write transaction of its own, rolled back when it
   * throws. Asynchronous: the wait for the file's write lock, which another
   * process may hold, does not block the event loop.
   */
  async #write<T>(action: () => T): Promise<T> {
    this.#checkOpen();
    try {
      return await this.#root.childTransaction(action);
    } catch (err) {
      throw asProviderError(err);
    }
  }

  #read<T>(action: () => T): T {
    this.#checkOpen();
    try {
      return action();
    } catch (err) {
      throw asProviderError(err);
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new ProviderError('unavailable', 'the data provider is closed');
  }

  #byId(id: number): User | undefined {
    const username = this.#ids.get(id);
    return username === undefined ? undefined : this.#users.get(username);
  }

  #existing(username: string): User {
    const user = this.#users.get(username);
    if (!user) {
      throw new ProviderError('not-found', `user ${JSON.stringify(username)} does not exist`);
    }
    return user;
  }

  /** Only inside a write transaction. */
  #nextId(): number {
    const id = (this.#sequences.get('users') ?? 0) + 1;
    this.#sequences.putSync('users', id);
    return id;
  }

  /** Only inside a write transaction. */
  #put(user: User): void {
    this.#users.putSync(user.username, user);
    this.#ids.putSync(user.id, user.username);
  }
}

function conflict(username: string): ProviderError {
  return new ProviderError('conflict', `username ${JSON.stringify(username)} already exists`);
}

function idNotFound(id: number): ProviderError {
  return new ProviderError('not-found', `user with ID ${id} does not exist`);
}

function asProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new ProviderError('unavailable', `data provider error: ${reason}`, { cause: err });
}

/**
 * Opens (creating it if needed) a single-file LMDB database: the embedded
 * store that needs no server, the counterpart of the reference server's
 * bbolt provider. Several processes may open the same file at once.
 * @throws {ProviderError} with code `unavailable` when the file cannot be
 * opened, or holds another layout version
 * @example
 * const provider = await openBoltProvider({ path: '/var/lib/sftpgo/sftpgo.mdb' });
 */
export async function openBoltProvider(options: BoltProviderOptions): Promise<DataProvider> {
  const { path } = options;
  const cannotOpen = (reason: string, cause?: unknown) =>
    new ProviderError(
      'unavailable',
      `cannot open the bolt database ${JSON.stringify(path)}: ${reason}`,
      { cause },
    );
  // lmdb would create a missing folder; a mistyped path must fail instead.
  const folder = await stat(dirname(path)).catch((err: unknown) => {
    throw cannotOpen((err as Error).message, err);
  });
  if (!folder.isDirectory()) throw cannotOpen(`${dirname(path)} is not a directory`);
  // Checked first, or lmdb would leave a lock file beside a folder it cannot open.
  const target = await stat(path).catch(() => undefined);
  if (target && !target.isFile()) throw cannotOpen('it is not a file');
  // lmdb trusts the file it maps: another kind of file would crash the process.
  if (target && target.size > 0 && !(await hasLmdbMagic(path))) {
    throw cannotOpen('it is not a bolt (LMDB) database file');
  }
  // Loaded here, not with the package: a machine where the native module
  // cannot load still has the other drivers.
  const { open } = await loadDriverModule('bolt', 'lmdb', () => import('lmdb'));
  let root: RootDatabase | undefined;
  try {
    // `noSubdir`: `path` is the data file itself, whatever its extension.
    root = open({ path, noSubdir: true, encoding: 'json' });
    const version = layoutVersion(root);
    if (version === DB_VERSION) return new BoltProvider(root);
    // Users of another layout would be misread: refuse the file instead.
    await root.close();
    throw cannotOpen(`its layout is version ${version}; this server reads version ${DB_VERSION}`);
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    await root?.close();
    throw cannotOpen((err as Error).message, err);
  }
}

/** The layout version of the file; a new file gets the current one. */
function layoutVersion(root: RootDatabase): number {
  const db = root.openDB<{ version: number }, string>({ name: 'db_version' });
  return root.transactionSync(() => {
    const stored = db.get('version');
    if (stored) return stored.version;
    db.putSync('version', { version: DB_VERSION });
    return DB_VERSION;
  });
}

/** LMDB's meta page magic, 0xBEEFC0DE little-endian, near the file's start. */
const LMDB_MAGIC = Buffer.from([0xde, 0xc0, 0xef, 0xbe]);

async function hasLmdbMagic(path: string): Promise<boolean> {
  const file = await openFile(path, 'r');
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead).includes(LMDB_MAGIC);
  } finally {
    await file.close();
  }
}
