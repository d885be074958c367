import { hashPassword, isHashedPassword } from '@sftpgo/auth';
import { type Kysely, sql } from 'kysely';
import { ProviderError, ValidationError } from './errors.js';
import type { DataProvider } from './provider.js';
import { type Database, rowToUser, userToRow } from './sql-rows.js';
import { parseUserInput, type User, type UserInput } from './user.js';

/**
 * A data provider over any SQL database that kysely speaks. The dialect
 * specifics (opening, migrating, naming a unique violation) are the caller's.
 */
export class SqlProvider implements DataProvider {
  readonly #db: Kysely<Database>;
  readonly #isUniqueViolation: (err: unknown) => boolean;

  constructor(db: Kysely<Database>, isUniqueViolation: (err: unknown) => boolean) {
    this.#db = db;
    this.#isUniqueViolation = isUniqueViolation;
  }

  async addUser(input: UserInput): Promise<User> {
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
    try {
      const result = await this.#db.insertInto('users').values(userToRow(user)).executeTakeFirst();
      return { id: Number(result.insertId), ...user };
    } catch (err) {
      if (this.#isUniqueViolation(err)) {
        throw new ProviderError(
          'conflict',
          `username ${JSON.stringify(v.username)} already exists`,
          {
            cause: err,
          },
        );
      }
      throw unavailable(err);
    }
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
