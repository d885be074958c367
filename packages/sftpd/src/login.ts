import { isAddressAllowed, verifyLoginPassword } from '@sftpgo/auth';
import { ProviderError, type User, type UserInput } from '@sftpgo/provider';
import type { ParsedKey } from 'ssh2';
import { ssh2 } from './ssh2.js';
import type { UserSource } from './user-source.js';

/** Why a login was refused, for the logs; the client is only told "denied". */
export class LoginError extends Error {
  override readonly name = 'LoginError';
}

/**
 * The `error` of a failed login's log line. A {@link LoginError} says why in
 * words written for the log, and a data provider error what the database
 * answered; any other error is named by its class and code only, since its
 * message may quote what the client sent (Node's own errors quote the value
 * they refuse), and no credential may reach a log.
 */
export function loginFailureReason(err: unknown): string {
  if (err instanceof LoginError) return err.message;
  if (err instanceof ProviderError) return `login failed: ${err.message}`;
  const name = err instanceof Error ? err.name : typeof err;
  const code = (err as { code?: unknown } | null)?.code;
  return `login failed: unexpected ${name}${typeof code === 'string' ? ` (${code})` : ''}`;
}

/** A key the account does not list: clients try their keys in turn until one fits. */
export class KeyNotAuthorizedError extends LoginError {}

/** Valid credentials of a user who has all of their `max_sessions` open. */
export class SessionLimitError extends LoginError {}

/** Where and when a login happens. */
export interface LoginContext {
  readonly clientIp: string;
  /** Milliseconds since the epoch; now when absent. */
  readonly now?: number;
}

/** Refuses a disabled or expired account, or a login from an address its filters exclude. */
export function checkAccount(user: User, context: LoginContext): User {
  if (user.status !== 1) throw new LoginError('user is disabled');
  const now = context.now ?? Date.now();
  if (user.expiration_date > 0 && user.expiration_date < now) {
    throw new LoginError('user is expired');
  }
  if (!isAddressAllowed(context.clientIp, user.filters)) {
    throw new LoginError(`login from ${context.clientIp} is not allowed`);
  }
  return user;
}

/**
 * Checks a username and password against the user source and the account's
 * status and expiration. Every attempt costs one hash verification, whether
 * the user is unknown, has no password (a key-only account), or has a stored
 * hash that cannot be checked: answer times do not reveal which usernames
 * exist, nor which accounts take a password. A source that authenticates
 * by itself decides instead of the stored hash.
 */
export async function passwordLogin(
  users: UserSource,
  username: string,
  password: string,
  context: LoginContext,
): Promise<User> {
  if (users.authenticate) {
    const user = await users.authenticate(username, { type: 'password', password });
    if (!user) throw new LoginError('Invalid credentials');
    return checkAccount(user, context);
  }
  const user = await users.getUserByUsername(username);
  const matches = await verifyLoginPassword(password, user?.password);
  if (!user) throw new LoginError(`user ${JSON.stringify(username)} does not exist`);
  if (!matches) throw new LoginError('Invalid credentials');
  return checkAccount(user, context);
}

/** The key a client offers, and its signature once it proves it holds the private key. */
export interface OfferedKey {
  readonly algo: string;
  readonly data: Buffer;
  readonly signature?: {
    readonly blob: Buffer;
    readonly signature: Buffer;
    readonly hashAlgo?: string;
  };
}

const KEY_IN_LINE = /(?:^|\s)((?:ssh|ecdsa|sk)-[\w@.-]+)\s+([A-Za-z0-9+/]+={0,2})(?:\s|$)/;

/** The keys of an account that parse; authorized_keys options and comments are skipped. */
function parsedKeys(user: User): ParsedKey[] {
  return user.public_keys.flatMap((line) => {
    const match = KEY_IN_LINE.exec(line);
    const key = match && ssh2.utils.parseKey(`${match[1]} ${match[2]}`);
    return key && !(key instanceof Error) ? [key] : [];
  });
}

/**
 * Checks a public key login. Without a signature it answers whether the key
 * may be used; the user is logged in only by a valid signature of that same
 * key, never because a key was merely offered. A source that authenticates
 * by itself says whether the key is the user's.
 */
export async function publicKeyLogin(
  users: UserSource,
  username: string,
  offered: OfferedKey,
  context: LoginContext,
): Promise<User> {
  if (offered.algo.includes('-cert-')) {
    throw new LoginError(`certificates are not supported (${offered.algo})`);
  }
  if (users.authenticate) {
    if (offered.signature && !verifyOfferedSignature(offered)) {
      throw new LoginError('invalid public key signature');
    }
    const publicKey = authorizedKeyOf(offered.data);
    const user = await users.authenticate(username, { type: 'publickey', publicKey });
    if (!user) throw new KeyNotAuthorizedError(`public key not authorized (${offered.algo})`);
    return checkAccount(user, context);
  }
  const user = await users.getUserByUsername(username);
  if (!user) throw new LoginError(`user ${JSON.stringify(username)} does not exist`);
  const key = parsedKeys(user).find((k) => k.getPublicSSH().equals(offered.data));
  if (!key) throw new KeyNotAuthorizedError(`public key not authorized (${offered.algo})`);
  checkAccount(user, context);
  const { signature } = offered;
  if (signature && key.verify(signature.blob, signature.signature, signature.hashAlgo) !== true) {
    throw new LoginError('invalid public key signature');
  }
  return user;
}

/**
 * A keyboard-interactive login: the account must exist and pass its checks,
 * and `converse` (the dialogue with the configured program) must succeed.
 */
export async function interactiveLogin(
  users: UserSource,
  username: string,
  converse: (user: User) => Promise<void>,
  context: LoginContext,
): Promise<User> {
  const user = await users.getUserByUsername(username);
  if (!user) throw new LoginError(`user ${JSON.stringify(username)} does not exist`);
  await converse(user);
  return checkAccount(user, context);
}

/**
 * A login decided by the external authentication program: the user it
 * returns is stored (with the password or key just used, so that the
 * account stays usable), then the account's checks apply.
 */
export async function externalLogin(
  users: Required<Pick<UserSource, 'upsertUser'>>,
  returned: UserInput,
  used: { readonly password?: string; readonly publicKey?: string },
  context: LoginContext,
): Promise<User> {
  const keys = returned.public_keys ?? [];
  const input: UserInput = {
    ...returned,
    ...(used.password ? { password: used.password } : {}),
    ...(used.publicKey && !keys.includes(used.publicKey)
      ? { public_keys: [...keys, used.publicKey] }
      : {}),
  };
  return checkAccount(await users.upsertUser(input), context);
}

/** A key offered by a client, in authorized_keys form: the type its blob names, and the blob. */
export function authorizedKeyOf(data: Buffer): string {
  const length = data.length >= 4 ? data.readUInt32BE(0) : 0;
  const type = data.subarray(4, 4 + length).toString('latin1');
  return `${type} ${data.toString('base64')}`;
}

/** Whether `signature` is a valid signature of `blob` by the offered key. */
export function verifyOfferedSignature(offered: OfferedKey): boolean {
  const key = ssh2.utils.parseKey(authorizedKeyOf(offered.data));
  const { signature } = offered;
  if (key instanceof Error || !signature) return false;
  return key.verify(signature.blob, signature.signature, signature.hashAlgo) === true;
}
