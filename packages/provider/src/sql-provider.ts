import { hashPassword, isHashedPassword } from '@sftpgo/auth';
import { type Kysely, sql, type UpdateResult } from 'kysely';
import { ProviderError, ValidationError } from './errors.js';
import type { DataProvider } from './provider.js';
import { type QuotaChange, quotaChangeProblems } from './quota-change.js';
import { type Database, rowToUser, userToRow } from './sql-rows.js';
import { parseUserInput, type User, type UserInput } from './user.js';

/**
 * A data provider over any SQL database that kysely speaks. The dialect
 * specifics (opening, migrating, naming a unique violation) are the caller's.
 * An UPDATE must report the rows it matched, not only those it changed (for
 * MySQL, the `FOUND_ROWS` client flag): a user is unknown when it matched none.
 */
export class SqlProvider implements DataProvider {
  readonly #db: Kysely<Database>;
  readonly #isUniqueViolation: (err: unknown) => boolean;

  constructor(db: Kysely<Database>, isUniqueViolation: (err: unknown) => boolean) {
    this.#db = db;
    this.#isUniqueViolation = isUniqueViolation;
  }

  async addUser(input: UserInput): Promise<User> {
    const user = await this.#prepare(input);
    try {
      const result = await this.#db.insertInto('users').values(userToRow(user)).executeTakeFirst();
      return { id: Number(result.insertId), ...user };
    } catch (err) {
      if (this.#isUniqueViolation(err)) {
        const name = JSON.stringify(user.username);
        throw new ProviderError('conflict', `username ${name} already exists`, { cause: err });
      }
      throw unavailable(err);
    }
  }

  async upsertUser(input: UserInput): Promise<User> {
    const existing = await this.getUserByUsername(String(input.username ?? ''));
    if (!existing) {
      try {
        return await this.addUser(input);
      } catch (err) {
        // added by another process meanwhile: update it instead
        if (!(err instanceof ProviderError && err.code === 'conflict')) throw err;
        return this.upsertUser(input);
      }
    }
    const { used_quota_size, used_quota_files, last_quota_update, last_login } = existing;
    const columns: Omit<User, 'id'> = {
      ...(await this.#prepare(input)),
      used_quota_size,
      used_quota_files,
      last_quota_update,
      last_login,
    };
    await this.#db
      .updateTable('users')
      .set(userToRow(columns))
      .where('id', '=', existing.id)
      .execute()
      .catch((err: unknown) => {
        throw unavailable(err);
      });
    return { id: existing.id, ...columns };
  }

  /** Validates `input` and hashes a plain password: a new user's row, without its id. */
  async #prepare(input: UserInput): Promise<Omit<User, 'id'>> {
    const parsed = parseUserInput(input);
    if (!parsed.ok) throw new ValidationError(parsed.problems);
    const v = parsed.user;
    const password =
      v.password && !isHashedPassword(v.password)
        ? await hashPassword(v.password)
        : (v.password ?? '');
    const user: Omit<User, 'id'> = {
      status: v.status,
      username: v.username,
      expiration_date: v.expiration_date,
      password,
      public_keys: v.public_keys,
      home_dir: v.home_dir,
      uid: v.uid,
      gid: v.gid,
      max_sessions: v.max_sessions,
      quota_size: v.quota_size,
      quota_files: v.quota_files,
      permissions: v.permissions,
      used_quota_size: 0,
      used_quota_files: 0,
      last_quota_update: 0,
      upload_bandwidth: v.upload_bandwidth,
      download_bandwidth: v.download_bandwidth,
      last_login: 0,
      filters: v.filters,
      filesystem: v.filesystem,
    };
    return user;
  }

  getUserById(id: number): Promise<User | undefined> {
    return this.#findUser('id', id);
  }

  getUserByUsername(username: string): Promise<User | undefined> {
    return this.#findUser('username', username);
  }

  async #findUser(column: 'id' | 'username', value: number | string): Promise<User | undefined> {
    const row = await this.#db
      .selectFrom('users')
      .selectAll()
      .where(column, '=', value)
      .executeTakeFirst()
      .catch((err: unknown) => {
        throw unavailable(err);
      });
    return row && rowToUser(row);
  }

  async updateQuota(username: string, change: QuotaChange): Promise<void> {
    const problems = quotaChangeProblems(change);
    if (problems.length > 0) throw new ValidationError(problems);
    const now = Date.now();
    // One statement computing from the stored values, never read-then-write:
    // another connection's update in between would otherwise be lost.
    const query =
      'reset' in change
        ? this.#db.updateTable('users').set({
            used_quota_size: change.reset.size,
            used_quota_files: change.reset.files,
            last_quota_update: now,
          })
        : this.#db.updateTable('users').set((eb) => ({
            used_quota_size: eb('used_quota_size', '+', change.sizeDelta),
            used_quota_files: eb('used_quota_files', '+', change.filesDelta),
            last_quota_update: now,
          }));
    await this.#updateOne(query.where('username', '=', username), username);
  }

  async updateLastLogin(username: string, when: number = Date.now()): Promise<void> {
    if (!Number.isSafeInteger(when) || when < 0) {
      throw new ValidationError(['last_login: must be a non-negative integer']);
    }
    const query = this.#db
      .updateTable('users')
      .set({ last_login: when })
      .where('username', '=', username);
    await this.#updateOne(query, username);
  }

  async #updateOne(
    query: { executeTakeFirst(): Promise<UpdateResult> },
    username: string,
  ): Promise<void> {
    const result = await query.executeTakeFirst().catch((err: unknown) => {
      throw unavailable(err);
    });
    if (result.numUpdatedRows === 0n) {
      throw new ProviderError('not-found', `user ${JSON.stringify(username)} does not exist`);
    }
  }

  async checkAvailability(): Promise<void> {
    await sql`SELECT 1`.execute(this.#db).catch((err: unknown) => {
      throw unavailable(err);
    });
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }
}

function unavailable(err: unknown): ProviderError {
  const reason = err instanceof Error ? err.message : String(err);
  return new ProviderError('unavailable', `data provider error: ${reason}`, { cause: err });
}
