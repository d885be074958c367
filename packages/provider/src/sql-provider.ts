import { type Kysely, sql, type UpdateResult } from 'kysely';
import { ProviderError, ValidationError } from './errors.js';
import { checkLastLogin, prepareUser, usageOf } from './prepare-user.js';
import type { DataProvider, UserQuery } from './provider.js';
import { type QuotaChange, quotaChangeProblems } from './quota-change.js';
import { type Database, rowToUser, userToRow } from './sql-rows.js';
import type { User, UserInput } from './user.js';
import { normalizeUserQuery } from './user-query.js';

/** What differs between the SQL databases, for the provider's queries. */
export interface SqlDialectTraits {
  /** Whether `err` is the violation of the unique username. */
  readonly isUniqueViolation: (err: unknown) => boolean;
  /** PostgreSQL reports no insert id: the id is asked for with RETURNING. */
  readonly returningId: boolean;
}

/**
 * A data provider over any SQL database that kysely speaks. Opening and
 * migrating are the dialect's (see the open functions).
 * An UPDATE must report the rows it matched, not only those it changed (for
 * MySQL, the `FOUND_ROWS` client flag): a user is unknown when it matched none.
 */
export class SqlProvider implements DataProvider {
  readonly #db: Kysely<Database>;
  readonly #traits: SqlDialectTraits;

  constructor(db: Kysely<Database>, traits: SqlDialectTraits) {
    this.#db = db;
    this.#traits = traits;
  }

  async addUser(input: UserInput): Promise<User> {
    const user = await prepareUser(input);
    const insert = this.#db.insertInto('users').values(userToRow(user));
    try {
      if (this.#traits.returningId) {
        const { id } = await insert.returning('id').executeTakeFirstOrThrow();
        return { id: Number(id), ...user };
      }
      const result = await insert.executeTakeFirst();
      return { id: Number(result.insertId), ...user };
    } catch (err) {
      throw this.#writeError(err, user.username);
    }
  }

  async updateUser(id: number, input: UserInput): Promise<User> {
    const existing = await this.getUserById(id);
    if (!existing) throw userIdNotFound(id);
    const user = await prepareUser(input, usageOf(existing));
    // The usage columns are left out: a concurrent quota update must not be overwritten.
    const { used_quota_size, used_quota_files, last_quota_update, last_login, ...fields } =
      userToRow(user);
    const result = await this.#db
      .updateTable('users')
      .set(fields)
      .where('id', '=', id)
      .executeTakeFirst()
      .catch((err: unknown) => {
        throw this.#writeError(err, user.username);
      });
    if (result.numUpdatedRows === 0n) throw userIdNotFound(id);
    return (await this.getUserById(id)) ?? { id, ...user };
  }

  async upsertUser(input: UserInput): Promise<User> {
    const existing = await this.getUserByUsername(String(input.username ?? ''));
    if (existing) return this.updateUser(existing.id, input);
    try {
      return await this.addUser(input);
    } catch (err) {
      // added by another process meanwhile: update it instead
      if (!(err instanceof ProviderError && err.code === 'conflict')) throw err;
      return this.upsertUser(input);
    }
  }

  async deleteUser(id: number): Promise<void> {
    const result = await this.#db
      .deleteFrom('users')
      .where('id', '=', id)
      .executeTakeFirst()
      .catch((err: unknown) => {
        throw unavailable(err);
      });
    if (result.numDeletedRows === 0n) throw userIdNotFound(id);
  }

  getUserById(id: number): Promise<User | undefined> {
    if (!Number.isSafeInteger(id)) return Promise.resolve(undefined);
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

  async listUsers(query?: UserQuery): Promise<User[]> {
    const { limit, offset, order, username } = normalizeUserQuery(query);
    let select = this.#db.selectFrom('users').selectAll();
    if (username !== undefined) select = select.where('username', '=', username);
    const rows = await select
      .orderBy('username', order === 'ASC' ? 'asc' : 'desc')
      .limit(limit)
      .offset(offset)
      .execute()
      .catch((err: unknown) => {
        throw unavailable(err);
      });
    return rows.map(rowToUser);
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
        : // never below zero: a count that drifted (a scan racing transfers)
          // stops at none rather than granting quota back
          this.#db.updateTable('users').set((eb) => {
            const added = (column: 'used_quota_size' | 'used_quota_files', delta: number) =>
              eb
                .case()
                .when(column, '<', -delta)
                .then(0)
                .else(eb(column, '+', delta))
                .end();
            return {
              used_quota_size: added('used_quota_size', change.sizeDelta),
              used_quota_files: added('used_quota_files', change.filesDelta),
              last_quota_update: now,
            };
          });
    await this.#updateOne(query.where('username', '=', username), username);
  }

  async updateLastLogin(username: string, when: number = Date.now()): Promise<void> {
    checkLastLogin(when);
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

  #writeError(err: unknown, username: string): ProviderError {
    if (this.#traits.isUniqueViolation(err)) {
      const name = JSON.stringify(username);
      return new ProviderError('conflict', `username ${name} already exists`, { cause: err });
    }
    return unavailable(err);
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

function userIdNotFound(id: number): ProviderError {
  return new ProviderError('not-found', `user with ID ${id} does not exist`);
}

/** A failure of the database itself, with the driver's reason. */
export function unavailable(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const reason = err instanceof Error ? err.message || String(err) : String(err);
  return new ProviderError('unavailable', `data provider error: ${reason}`, { cause: err });
}
