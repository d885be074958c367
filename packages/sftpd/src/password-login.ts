import { hashPassword, verifyPassword } from '@sftpgo/auth';
import type { DataProvider, User } from '@sftpgo/provider';

/** Why a login was refused, for the logs; the client is only told "denied". */
export class LoginError extends Error {
  override readonly name = 'LoginError';
}

let decoyHash: Promise<string> | undefined;

/**
 * Checks a username and password against the provider and the account's
 * status and expiration. An unknown user costs the same hash verification
 * as a known one, so response times do not reveal which usernames exist.
 */
export async function passwordLogin(
  provider: DataProvider,
  username: string,
  password: string,
  now = Date.now(),
): Promise<User> {
  const user = await provider.getUserByUsername(username);
  if (!user) {
    decoyHash ??= hashPassword('decoy password for unknown users');
    await verifyPassword(password, await decoyHash);
    throw new LoginError(`user ${JSON.stringify(username)} does not exist`);
  }
  if (!(await verifyPassword(password, user.password))) {
    throw new LoginError('invalid credentials');
  }
  if (user.status !== 1) throw new LoginError('user is disabled');
  if (user.expiration_date > 0 && user.expiration_date < now) {
    throw new LoginError('user is expired');
  }
  return user;
}
