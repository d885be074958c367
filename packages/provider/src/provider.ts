import type { User, UserInput } from './user.js';

/**
 * Where accounts live. Every implementation passes the same contract tests.
 */
export interface DataProvider {
  /**
   * Validates and stores a new user, hashing a plain password.
   * @throws {ValidationError} naming every problem of `input`
   * @throws {ProviderError} with code `conflict` when the username is taken
   */
  addUser(input: UserInput): Promise<User>;
  getUserById(id: number): Promise<User | undefined>;
  getUserByUsername(username: string): Promise<User | undefined>;
  /** Resolves when the backing store answers; rejects with the reason otherwise. */
  checkAvailability(): Promise<void>;
  close(): Promise<void>;
}
