import { posix } from 'node:path';
import type { AccountSecrets } from './account-secrets.js';
import { ProviderError } from './errors.js';
import type { DataProvider, UserQuery } from './provider.js';
import type { ProviderActions } from './provider-actions.js';
import type { QuotaChange } from './quota-change.js';
import { prepareSecretsWrite, storeWithSecrets } from './secrets-write.js';
import type { User, UserInput } from './user.js';

export interface ManagementPolicy {
  /** False for `manage_users: 0`: accounts are read, never written, by administrators. */
  readonly manageUsers: boolean;
  /** `users_base_dir`: where a user without a home dir gets one named after it. */
  readonly usersBaseDir: string;
  /** Run after an administrator adds, updates or deletes a user. */
  readonly actions?: ProviderActions;
  /**
   * Where the secrets of users on S3 and Google Cloud Storage are kept;
   * without it, such users are refused.
   */
  readonly secrets?: AccountSecrets;
}

/**
 * The administrators' view of a store: refuses their writes when users are
 * managed elsewhere, gives a home dir under `users_base_dir`, and fires the
 * provider actions. Internal updates (quota, last login) and accounts that an
 * external authentication program returns (`upsertUser`) pass without
 * actions, as the spec has it. Every write (`upsertUser` too) stores the
 * S3 secret encrypted and the GCS key in its file: see {@link AccountSecrets}.
 */
export class ManagedProvider implements DataProvider {
  readonly #store: DataProvider;
  readonly #policy: ManagementPolicy;

  constructor(store: DataProvider, policy: ManagementPolicy) {
    this.#store = store;
    this.#policy = policy;
  }

  async addUser(input: UserInput): Promise<User> {
    this.#checkManaged();
    const user = await this.#write(input, undefined, (i) => this.#store.addUser(i));
    this.#fire('add', user);
    return user;
  }

  async updateUser(id: number, input: UserInput): Promise<User> {
    this.#checkManaged();
    const previous = await this.#store.getUserById(id);
    const user = await this.#write(input, previous, (i) => this.#store.updateUser(id, i));
    this.#fire('update', user);
    return user;
  }

  async upsertUser(input: UserInput): Promise<User> {
    const previous = await this.#store.getUserByUsername(String(input.username ?? ''));
    return this.#write(input, previous, (i) => this.#store.upsertUser(i));
  }

  async deleteUser(id: number): Promise<void> {
    this.#checkManaged();
    const user = await this.#store.getUserById(id);
    await this.#store.deleteUser(id);
    if (!user) return;
    this.#fire('delete', user);
    await this.#policy.secrets?.removeGcsCredentials(user.username).catch((err: unknown) => {
      const reason = (err as Error).message;
      throw new ProviderError(
        'unavailable',
        `user ${JSON.stringify(user.username)} deleted, but its GCS key file could not be removed: ${reason}`,
        { cause: err },
      );
    });
  }

  getUserById(id: number): Promise<User | undefined> {
    return this.#store.getUserById(id);
  }

  getUserByUsername(username: string): Promise<User | undefined> {
    return this.#store.getUserByUsername(username);
  }

  listUsers(query?: UserQuery): Promise<User[]> {
    return this.#store.listUsers(query);
  }

  updateQuota(username: string, change: QuotaChange): Promise<void> {
    return this.#store.updateQuota(username, change);
  }

  updateLastLogin(username: string, when?: number): Promise<void> {
    return this.#store.updateLastLogin(username, when);
  }

  checkAvailability(): Promise<void> {
    return this.#store.checkAvailability();
  }

  async close(): Promise<void> {
    await this.#policy.actions?.idle();
    await this.#store.close();
  }

  #checkManaged(): void {
    if (!this.#policy.manageUsers) {
      throw new ProviderError(
        'disabled',
        'users management is disabled for this data provider (manage_users is 0)',
      );
    }
  }

  /** Stores `input` (in place of `previous`) with `store`, its home dir given and its secrets kept apart. */
  async #write(
    input: UserInput,
    previous: User | undefined,
    store: (input: UserInput) => Promise<User>,
  ): Promise<User> {
    const write = await prepareSecretsWrite(this.#withHome(input), previous, this.#policy.secrets);
    return storeWithSecrets(write, store);
  }

  #withHome(input: UserInput): UserInput {
    const base = this.#policy.usersBaseDir;
    if (input.home_dir || !posix.isAbsolute(base) || typeof input.username !== 'string') {
      return input;
    }
    return { ...input, home_dir: posix.join(base, input.username) };
  }

  #fire(action: 'add' | 'update' | 'delete', user: User): void {
    // not awaited: the administrator's request does not wait for its actions
    void this.#policy.actions?.fire(action, user);
  }
}
