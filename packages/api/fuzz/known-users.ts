// The users the fuzzer watches: what each should be, as the API last
// acknowledged it, compared with what the store holds. A user may change only
// through an answer that says it did.
import { isDeepStrictEqual } from 'node:util';
import type { DataProvider, User } from '@sftpgo/provider';
import { FuzzRandom } from '@sftpgo/test-utils';
import { validUser } from './user-samples.js';

/** Written by the quota scans the fuzzer starts, in the background: not the requests' doing. */
const SCAN_FIELDS: readonly string[] = ['used_quota_size', 'used_quota_files', 'last_quota_update'];

/** The fields of a stored user that differ, but those quota scans write in the background. */
export function changedFields(before: User, after: User): string[] {
  return (Object.keys(after) as (keyof User)[]).filter(
    (field) => !SCAN_FIELDS.includes(field) && !isDeepStrictEqual(before[field], after[field]),
  );
}

function withoutScanFields(user: User): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...user };
  for (const field of SCAN_FIELDS) delete rest[field];
  return rest;
}

/** The fields of `a` and `b` that differ, with both values, for a failure message. */
function differences(a: Record<string, unknown>, b: Record<string, unknown>): string {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((key) => !isDeepStrictEqual(a[key], b[key]))
    .map((key) => `${key}: ${JSON.stringify(a[key])} -> ${JSON.stringify(b[key])}`)
    .join('; ')
    .slice(0, 600);
}

export class KnownUsers {
  readonly #store: DataProvider;
  /** Adds through the API's own provider, so that secrets are stored as the API stores them. */
  readonly #provider: DataProvider;
  readonly #homesRoot: string;
  readonly #count: number;
  /** The acknowledged state of each watched user, by id. */
  readonly #expected = new Map<number, User>();
  #added = 0;

  constructor(store: DataProvider, provider: DataProvider, homesRoot: string, count: number) {
    this.#store = store;
    this.#provider = provider;
    this.#homesRoot = homesRoot;
    this.#count = count;
  }

  ids(): number[] {
    return [...this.#expected.keys()];
  }

  usernames(): string[] {
    return [...this.#expected.values()].map((u) => u.username);
  }

  /** The stored password hashes, which no answer may show. */
  hashes(): string[] {
    return [...this.#expected.values()].map((u) => u.password).filter((p) => p !== '');
  }

  has(id: number): boolean {
    return this.#expected.has(id);
  }

  expected(id: number): User | undefined {
    return this.#expected.get(id);
  }

  /** Adds watched users until there are as many as asked: a deleted one is replaced. */
  async replenish(): Promise<void> {
    while (this.#expected.size < this.#count) {
      const username = `known-${this.#added++}`;
      // a fuzzed request may have taken the name already
      if (await this.#store.getUserByUsername(username)) continue;
      const r = new FuzzRandom(this.#added);
      const user = await this.#provider.addUser(
        validUser(r, username, this.#homesRoot) as Parameters<DataProvider['addUser']>[0],
      );
      this.#expected.set(user.id, user);
    }
  }

  /** Takes the stored state of `id` as acknowledged: after a 200 to a PUT on it. */
  async acknowledge(id: number): Promise<void> {
    const stored = await this.#store.getUserById(id);
    if (!stored) throw new Error(`user ${id} was answered "User updated" but is not stored`);
    this.#expected.set(id, stored);
  }

  /** Forgets `id`, answered as deleted, after checking it is gone. */
  async acknowledgeDelete(id: number): Promise<void> {
    if (await this.#store.getUserById(id)) {
      throw new Error(`user ${id} was answered "User deleted" but is still stored`);
    }
    this.#expected.delete(id);
    await this.replenish();
  }

  /**
   * Takes every watched user's stored state as acknowledged: after a load,
   * which may update or delete any of them, even when it stops at an invalid
   * user (the ones before it stay stored, as documented).
   */
  async acknowledgeAll(): Promise<void> {
    for (const id of this.ids()) {
      const stored = await this.#store.getUserById(id);
      if (stored) this.#expected.set(id, stored);
      else this.#expected.delete(id);
    }
    await this.replenish();
  }

  /** The watched users that differ from their acknowledged state, described. */
  async damaged(): Promise<string[]> {
    const problems: string[] = [];
    for (const [id, expected] of this.#expected) {
      const stored = await this.#store.getUserById(id);
      if (!stored) {
        problems.push(`known user ${id} (${expected.username}) disappeared without a 200 answer`);
      } else if (!isDeepStrictEqual(withoutScanFields(stored), withoutScanFields(expected))) {
        problems.push(
          `known user ${id} (${expected.username}) changed without a 200 answer: ${differences(
            withoutScanFields(expected),
            withoutScanFields(stored),
          )}`,
        );
      }
    }
    return problems;
  }
}
