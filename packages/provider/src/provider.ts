import type { QuotaChange } from './quota-change.js';
import type { User, UserInput } from './user.js';

/** A page of users, sorted by username. */
export interface UserQuery {
  /** At most this many users; 100 by default. */
  readonly limit?: number;
  /** Skips this many users first; 0 by default. */
  readonly offset?: number;
  /** By username, ascending by default. */
  readonly order?: 'ASC' | 'DESC';
  /** Only the user with exactly this username (case-sensitive). */
  readonly username?: string;
}

/**
 * Where accounts live. Every implementation passes the same contract tests
 * (packages/provider/test/contract.ts).
 */
export interface DataProvider {
  /**
   * Validates and stores a new user, hashing a plain password. Used quota
   * and last login start at zero whatever `input` holds.
   * @throws {ValidationError} naming every problem of `input`
   * @throws {ProviderError} with code `conflict` when the username is taken
   */
  addUser(input: UserInput): Promise<User>;
  /**
   * Replaces every field of the user with that id by those of `input`
   * (validated and hashed as by `addUser`), keeping its used quota, last
   * quota update and last login. The username may change.
   * @throws {ValidationError} naming every problem of `input`
   * @throws {ProviderError} with code `not-found` for an unknown id, `conflict` when the new username is taken
   */
  updateUser(id: number, input: UserInput): Promise<User>;
  /**
   * Adds the user, or replaces the account of the user with that username,
   * keeping its id, used quota and last login: for users that an external
   * authentication program returns.
   * @throws {ValidationError} naming every problem of `input`
   */
  upsertUser(input: UserInput): Promise<User>;
  /** @throws {ProviderError} with code `not-found` for an unknown id */
  deleteUser(id: number): Promise<void>;
  getUserById(id: number): Promise<User | undefined>;
  getUserByUsername(username: string): Promise<User | undefined>;
  /**
   * A page of users sorted by username.
   * @throws {ValidationError} when limit or offset is not a non-negative integer
   */
  listUsers(query?: UserQuery): Promise<User[]>;
  /**
   * Changes `used_quota_size` and `used_quota_files` and sets
   * `last_quota_update` to now; nothing else of the user changes. Deltas
   * (negative for a removal) are applied atomically by the store, so
   * concurrent updates, from this process or another, are never lost.
   * `reset` stores absolute values, as found by a quota scan.
   * @throws {ValidationError} when a value is not an integer, or a reset value is negative
   * @throws {ProviderError} with code `not-found` when no user has that name
   * @example
   * await provider.updateQuota('alice', { sizeDelta: 1024, filesDelta: 1 }); // an upload
   * await provider.updateQuota('alice', { reset: { size: 5_000_000, files: 42 } }); // a scan
   */
  updateQuota(username: string, change: QuotaChange): Promise<void>;
  /**
   * Sets `last_login` to `when` (milliseconds since the epoch, now by
   * default); nothing else of the user changes.
   * @throws {ValidationError} when `when` is not a non-negative integer
   * @throws {ProviderError} with code `not-found` when no user has that name
   */
  updateLastLogin(username: string, when?: number): Promise<void>;
  /** Resolves when the backing store answers; rejects with a ProviderError `unavailable` otherwise. */
  checkAvailability(): Promise<void>;
  close(): Promise<void>;
}
