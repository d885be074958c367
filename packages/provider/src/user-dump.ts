import { ProviderError, ValidationError } from './errors.js';
import type { DataProvider } from './provider.js';
import { toUserJson, type User, type UserInput, type UserJson } from './user.js';

/**
 * The backup format of the `dumpdata` and `loaddata` API: every user with
 * its password hash, as the reference server writes it.
 */
export interface UserDump {
  readonly users: readonly UserJson[];
}

/** How `loadUsers` treats users that exist already. */
export type LoadMode = 'add-and-update' | 'add-only';

export interface LoadOptions {
  /** Delete, once the dump is stored, every user it does not hold. */
  readonly deleteOthers?: boolean;
}

/**
 * The users of a dump's text, not validated yet (each is when stored).
 * @throws {ValidationError} when the text is not JSON of the form `{"users": [...]}`
 */
export function parseUserDump(text: string): UserInput[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ValidationError([`Unable to parse input file: ${(err as Error).message}`]);
  }
  const users = (data as { users?: unknown } | null)?.users;
  if (typeof data !== 'object' || data === null || Array.isArray(data) || !Array.isArray(users)) {
    throw new ValidationError(['Unable to parse input file: expected an object {"users": [...]}']);
  }
  users.forEach((u, i) => {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) {
      throw new ValidationError([`users.${i}: must be an object`]);
    }
  });
  return users as UserInput[];
}

const PAGE = 500;

/** Every user of `provider`, by username. */
export async function dumpUsers(provider: DataProvider): Promise<UserDump> {
  const users: UserJson[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await provider.listUsers({ limit: PAGE, offset });
    users.push(...page.map(toUserJson));
    if (page.length < PAGE) return { users };
  }
}

/** What `loadUsers` did. */
export interface LoadResult {
  readonly added: number;
  readonly updated: number;
  readonly skipped: number;
  readonly deleted: number;
}

/**
 * Stores the users of a dump: new usernames are added; existing ones are
 * updated (`add-and-update`) or left alone (`add-only`); with
 * `deleteOthers`, users absent from the dump are deleted afterwards. Used quota
 * and last login are not restored: a quota scan recomputes the first.
 * Stops at the first user that cannot be stored, naming it; the users
 * before it stay stored.
 */
export async function loadUsers(
  provider: DataProvider,
  users: readonly (UserInput | User | UserJson)[],
  mode: LoadMode,
  options: LoadOptions = {},
): Promise<LoadResult> {
  let added = 0;
  let updated = 0;
  let skipped = 0;
  const kept = new Set<string>();
  for (const [i, input] of users.entries()) {
    // a stored user is valid input: its readonly lists are only read
    const { id: _id, ...fields } = input as UserInput;
    try {
      const existing = await provider.getUserByUsername(String(fields.username ?? ''));
      if (!existing) {
        await provider.addUser(fields);
        added++;
      } else if (mode === 'add-only') {
        skipped++;
      } else {
        await provider.updateUser(existing.id, fields);
        updated++;
      }
      kept.add(String(fields.username));
    } catch (err) {
      if (err instanceof ValidationError) {
        throw new ValidationError(err.problems.map((p) => `users.${i}: ${p}`));
      }
      if (err instanceof ProviderError) {
        throw new ProviderError(err.code, `users.${i}: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }
  let deleted = 0;
  if (options.deleteOthers) {
    for (const user of (await dumpUsers(provider)).users) {
      if (kept.has(user.username)) continue;
      await provider.deleteUser(user.id);
      deleted++;
    }
  }
  return { added, updated, skipped, deleted };
}
