import type { QuotaChange, User, UserInput } from '@sftpgo/provider';

/** What a client proves itself with, as `UserSource.authenticate` receives it. */
export type Credential =
  | { readonly type: 'password'; readonly password: string }
  /** The key offered, in authorized_keys form (`ssh-ed25519 AAAA...`); its signature is checked by the server. */
  | { readonly type: 'publickey'; readonly publicKey: string };

/**
 * Where the SSH service finds its users. A `DataProvider` of
 * `@sftpgo/provider` is one; an application with users of its own gives
 * these few calls over its own store instead.
 *
 * @example
 * const users: UserSource = {
 *   async getUserByUsername(name) {
 *     const row = await db.findAccount(name);
 *     return row && accountUser({ username: name, home_dir: row.home });
 *   },
 *   async authenticate(name, credential) {
 *     if (credential.type !== 'password' || !(await db.checkPassword(name, credential.password))) return undefined;
 *     return this.getUserByUsername(name);
 *   },
 * };
 */
export interface UserSource {
  /** The account named `username` (case-sensitive), or undefined when there is none. */
  getUserByUsername(username: string): Promise<User | undefined>;
  /**
   * Decides a password or public key login itself, in place of the
   * account's stored password hash and keys: the user logged in, or
   * undefined to refuse. The signature of an offered key is checked by the
   * server first. Keyboard-interactive logins still use `getUserByUsername`.
   */
  authenticate?(username: string, credential: Credential): Promise<User | undefined>;
  /** Records a successful login; not recorded without it. */
  updateLastLogin?(username: string): Promise<void>;
  /** Records what uploads and removals change; without it, quota is neither tracked nor enforced. */
  updateQuota?(username: string, change: QuotaChange): Promise<void>;
  /** Stores an account that the external authentication program returns; needed by `externalAuth`. */
  upsertUser?(input: UserInput): Promise<User>;
}

/**
 * A whole account from the fields an application knows: everything else
 * takes the value of a new account (enabled, no expiration, no limits,
 * every permission in its home directory, the local filesystem).
 */
export function accountUser(fields: Partial<User> & Pick<User, 'username' | 'home_dir'>): User {
  return {
    id: 0,
    status: 1,
    expiration_date: 0,
    password: '',
    public_keys: [],
    uid: 0,
    gid: 0,
    max_sessions: 0,
    quota_size: 0,
    quota_files: 0,
    permissions: { '/': ['*'] },
    used_quota_size: 0,
    used_quota_files: 0,
    last_quota_update: 0,
    upload_bandwidth: 0,
    download_bandwidth: 0,
    last_login: 0,
    filters: { allowed_ip: [], denied_ip: [] },
    filesystem: { provider: 0 },
    ...fields,
  };
}
