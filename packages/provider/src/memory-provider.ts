import { readFile } from 'node:fs/promises';
import { ProviderError, ValidationError } from './errors.js';
import {
  checkLastLogin,
  NO_USAGE,
  prepareUser,
  type UsageFields,
  usageOf,
} from './prepare-user.js';
import type { DataProvider, UserQuery } from './provider.js';
import { type QuotaChange, quotaChangeProblems, withQuotaChange } from './quota-change.js';
import type { User, UserInput } from './user.js';
import { parseUserDump } from './user-dump.js';
import { normalizeUserQuery } from './user-query.js';

export interface MemoryProviderOptions {
  /**
   * A dump file (`{"users": [...]}`, as `dumpdata` writes it) to load the
   * users from, at open and on `reload()`. It is never written: changes
   * last until the process ends or the next reload.
   */
  readonly dumpPath?: string;
}

export interface MemoryProvider extends DataProvider {
  /**
   * Replaces every user by those of the dump file, all at once, and resolves
   * how many were loaded; 0 without a dump file. When the file cannot be
   * loaded, the current users stay and it rejects.
   * @throws {ValidationError} naming the file and each problem of its users
   * @throws {ProviderError} with code `unavailable` when the file cannot be read
   */
  reload(): Promise<number>;
}

/** The users of a dump, indexed both ways. */
interface UserMaps {
  readonly byId: Map<number, User>;
  readonly byName: Map<string, User>;
}

class InMemoryProvider implements MemoryProvider {
  readonly #dumpPath: string | undefined;
  #users: UserMaps = { byId: new Map(), byName: new Map() };
  // Only grows, across deletes and reloads alike, so that an id never names two users.
  #nextId = 1;
  #closed = false;

  constructor(dumpPath: string | undefined) {
    this.#dumpPath = dumpPath;
  }

  async reload(): Promise<number> {
    this.#checkOpen();
    if (this.#dumpPath === undefined) return 0;
    const loaded = await readDump(this.#dumpPath);
    // From here on synchronous: ids are given after any given while reading,
    // and the users are swapped in one step, once the whole file proved valid.
    for (const { id } of loaded) {
      if (id !== undefined) this.#nextId = Math.max(this.#nextId, id + 1);
    }
    const users: UserMaps = { byId: new Map(), byName: new Map() };
    for (const { user, id } of loaded) {
      const stored: User = { id: id ?? this.#nextId++, ...user };
      users.byId.set(stored.id, stored);
      users.byName.set(stored.username, stored);
    }
    this.#users = users;
    return users.byId.size;
  }

  async addUser(input: UserInput): Promise<User> {
    this.#checkOpen();
    const prepared = await prepareUser(input);
    if (this.#users.byName.has(prepared.username)) throw conflict(prepared.username);
    const user: User = { id: this.#nextId++, ...prepared };
    this.#store(user);
    return structuredClone(user);
  }

  async updateUser(id: number, input: UserInput): Promise<User> {
    this.#checkOpen();
    const prepared = await prepareUser(input);
    // Looked up after hashing: the user may have changed in the meantime.
    const existing = this.#users.byId.get(id);
    if (!existing) throw new ProviderError('not-found', `user with ID ${id} does not exist`);
    const taken = this.#users.byName.get(prepared.username);
    if (taken && taken.id !== id) throw conflict(prepared.username);
    const user: User = { id, ...prepared, ...usageOf(existing) };
    this.#users.byName.delete(existing.username);
    this.#store(user);
    return structuredClone(user);
  }

  async upsertUser(input: UserInput): Promise<User> {
    this.#checkOpen();
    const prepared = await prepareUser(input);
    const existing = this.#users.byName.get(prepared.username);
    const user: User = existing
      ? { id: existing.id, ...prepared, ...usageOf(existing) }
      : { id: this.#nextId++, ...prepared };
    this.#store(user);
    return structuredClone(user);
  }

  async deleteUser(id: number): Promise<void> {
    this.#checkOpen();
    const existing = this.#users.byId.get(id);
    if (!existing) throw new ProviderError('not-found', `user with ID ${id} does not exist`);
    this.#users.byId.delete(id);
    this.#users.byName.delete(existing.username);
  }

  async getUserById(id: number): Promise<User | undefined> {
    this.#checkOpen();
    const user = this.#users.byId.get(id);
    return user && structuredClone(user);
  }

  async getUserByUsername(username: string): Promise<User | undefined> {
    this.#checkOpen();
    const user = this.#users.byName.get(username);
    return user && structuredClone(user);
  }

  async listUsers(query?: UserQuery): Promise<User[]> {
    this.#checkOpen();
    const { limit, offset, order, username } = normalizeUserQuery(query);
    let users = [...this.#users.byName.values()];
    if (username !== undefined) users = users.filter((u) => u.username === username);
    const sign = order === 'ASC' ? 1 : -1;
    users.sort((a, b) => sign * (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
    return users.slice(offset, offset + limit).map((u) => structuredClone(u));
  }

  async updateQuota(username: string, change: QuotaChange): Promise<void> {
    this.#checkOpen();
    const problems = quotaChangeProblems(change);
    if (problems.length > 0) throw new ValidationError(problems);
    this.#store(withQuotaChange(this.#existing(username), change));
  }

  async updateLastLogin(username: string, when: number = Date.now()): Promise<void> {
    this.#checkOpen();
    checkLastLogin(when);
    this.#store({ ...this.#existing(username), last_login: when });
  }

  /** Memory always answers, even once closed. */
  async checkAvailability(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ProviderError('unavailable', 'the data provider is closed');
  }

  #existing(username: string): User {
    const user = this.#users.byName.get(username);
    if (!user)
      throw new ProviderError('not-found', `user ${JSON.stringify(username)} does not exist`);
    return user;
  }

  /** Stores `user` under its id and username, replacing what they named. */
  #store(user: User): void {
    this.#users.byId.set(user.id, user);
    this.#users.byName.set(user.username, user);
  }
}

function conflict(username: string): ProviderError {
  return new ProviderError('conflict', `username ${JSON.stringify(username)} already exists`);
}

/** A user of a dump file, validated, and its id when it may keep it. */
interface DumpedUser {
  readonly user: Omit<User, 'id'>;
  readonly id: number | undefined;
}

/**
 * The users of the dump file at `path`, each validated and keeping its used
 * quota and last login, and its id when positive and not that of an earlier
 * user.
 * @throws {ValidationError} naming the file and every problem of its users
 * @throws {ProviderError} with code `unavailable` when the file cannot be read
 */
async function readDump(path: string): Promise<DumpedUser[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ProviderError(
      'unavailable',
      `cannot read the users file ${JSON.stringify(path)}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const inFile = (problems: readonly string[]) =>
    new ValidationError(problems.map((p) => `${path}: ${p}`));
  let inputs: UserInput[];
  try {
    inputs = parseUserDump(text);
  } catch (err) {
    throw err instanceof ValidationError ? inFile(err.problems) : err;
  }
  // Every user is checked, so that one load names all the problems of the file.
  const prepared = await Promise.all(
    inputs.map((input, i) =>
      prepareUser(input, usageIn(input)).catch((err: unknown) => {
        if (!(err instanceof ValidationError)) throw err;
        return err.problems.map((p) => `users.${i}: ${p}`);
      }),
    ),
  );
  const problems: string[] = [];
  const dumped: DumpedUser[] = [];
  const indexOf = new Map<string, number>();
  const keptIds = new Set<number>();
  prepared.forEach((user, i) => {
    if (Array.isArray(user)) {
      problems.push(...user);
      return;
    }
    const first = indexOf.get(user.username);
    if (first !== undefined) {
      const name = JSON.stringify(user.username);
      problems.push(`users.${i}: username ${name} is already used by users.${first}`);
      return;
    }
    indexOf.set(user.username, i);
    const id = inputs[i]?.id;
    const kept = id !== undefined && id > 0 && !keptIds.has(id);
    if (kept) keptIds.add(id);
    dumped.push({ user, id: kept ? id : undefined });
  });
  if (problems.length > 0) throw inFile(problems);
  return dumped;
}

/** The usage fields a dumped user holds, zero when missing (validated by `prepareUser`). */
function usageIn(input: UserInput): UsageFields {
  return {
    used_quota_size: input.used_quota_size ?? NO_USAGE.used_quota_size,
    used_quota_files: input.used_quota_files ?? NO_USAGE.used_quota_files,
    last_quota_update: input.last_quota_update ?? NO_USAGE.last_quota_update,
    last_login: input.last_login ?? NO_USAGE.last_login,
  };
}

/**
 * A data provider that keeps its users in memory, loaded from a dump file
 * when one is given: for tests, and for read-mostly setups whose accounts
 * are managed as a file.
 * @throws {ValidationError} when the dump file holds an invalid user, or a username twice
 * @throws {ProviderError} with code `unavailable` when the dump file cannot be read; a
 * missing one means no users
 * @example
 * const provider = await openMemoryProvider({ dumpPath: '/etc/sftpgo/users.json' });
 * process.on('SIGHUP', () => void provider.reload().catch(console.error));
 */
export async function openMemoryProvider(
  options: MemoryProviderOptions = {},
): Promise<MemoryProvider> {
  const provider = new InMemoryProvider(options.dumpPath);
  try {
    await provider.reload();
  } catch (err) {
    // As the reference server: a dump that does not exist yet means no users
    // (the default `name` is the SQLite file's). A reload still refuses it.
    if ((err as { cause?: { code?: string } }).cause?.code !== 'ENOENT') throw err;
  }
  return provider;
}
