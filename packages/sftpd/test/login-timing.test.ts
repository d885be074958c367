import { performance } from 'node:perf_hooks';
import { hashPassword, verifyLoginPassword } from '@sftpgo/auth';
import type { DataProvider, User } from '@sftpgo/provider';
import { accountUser } from '@sftpgo/sftpd';
import type ssh2 from 'ssh2';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Authenticator } from '../src/authenticator.js';
import { LoginError } from '../src/login.js';

// The password check, watched: every password login must go through it once,
// whatever the account (its own tests show it costs one hash verification
// even without a usable stored hash).
vi.mock('@sftpgo/auth', async (importOriginal) => {
  const real = await importOriginal<typeof import('@sftpgo/auth')>();
  return { ...real, verifyLoginPassword: vi.fn(real.verifyLoginPassword) };
});

const PASSWORD = 'the right password';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

function userOf(username: string, fields: Partial<User>): User {
  return accountUser({ id: 1, username, home_dir: `/srv/${username}`, ...fields });
}

/**
 * The accounts, kept in a map rather than a database: a stored hash that
 * cannot be parsed is refused by the provider now, and was not before.
 */
const users = new Map<string, User>();
const provider = {
  getUserByUsername: async (name: string) => users.get(name),
} as unknown as DataProvider;
const authenticator = new Authenticator({ users: provider });

/** Each kind of account, with the password a client tries on it. */
const ATTEMPTS = {
  'password account, wrong password': ['alice', 'wrong'],
  'password account, right password': ['alice', PASSWORD],
  'unknown user': ['nobody', 'wrong'],
  'key-only account': ['keyonly', 'wrong'],
  'disabled account': ['disabled', PASSWORD],
  'expired account': ['expired', PASSWORD],
  'address not allowed': ['filtered', PASSWORD],
  'hash that does not parse': ['unparsable', 'wrong'],
  'hash whose cost is refused': ['costly', 'wrong'],
} as const;
type Kind = keyof typeof ATTEMPTS;

beforeAll(async () => {
  const stored = await hashPassword(PASSWORD);
  users.set('alice', userOf('alice', { password: stored }));
  users.set('keyonly', userOf('keyonly', { public_keys: [KEY] }));
  users.set('disabled', userOf('disabled', { password: stored, status: 0 }));
  users.set('expired', userOf('expired', { password: stored, expiration_date: 1 }));
  users.set(
    'filtered',
    userOf('filtered', {
      password: stored,
      filters: { allowed_ip: ['10.0.0.0/8'], denied_ip: [] },
    }),
  );
  users.set('unparsable', userOf('unparsable', { password: '$2a$10$invalidhash' }));
  users.set(
    'costly',
    userOf('costly', {
      password: '$2a$31$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga',
    }),
  );
});

/** One password login through the authenticator; the time its decision took, in ms. */
async function attempt(kind: Kind): Promise<{ ms: number; ok: boolean; error?: unknown }> {
  const [username, password] = ATTEMPTS[kind];
  const ctx = { method: 'password', username, password } as unknown as ssh2.AuthContext;
  const start = performance.now();
  try {
    await authenticator.check(ctx, '192.0.2.1');
    return { ms: performance.now() - start, ok: true };
  } catch (error) {
    return { ms: performance.now() - start, ok: false, error };
  }
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('password logins', () => {
  it('check the password given once, with the stored hash or none, whatever the account', async () => {
    const verify = vi.mocked(verifyLoginPassword);
    for (const kind of Object.keys(ATTEMPTS) as Kind[]) {
      verify.mockClear();
      const { ok, error } = await attempt(kind);
      expect(ok, kind).toBe(kind === 'password account, right password');
      if (!ok) expect(error, kind).toBeInstanceOf(LoginError);
      const [username, password] = ATTEMPTS[kind];
      expect(verify, kind).toHaveBeenCalledTimes(1);
      expect(verify, kind).toHaveBeenCalledWith(password, users.get(username)?.password);
    }
  });

  it('keep the reasons of the log apart', async () => {
    const reason = async (kind: Kind) => ((await attempt(kind)).error as Error).message;
    expect(await reason('unknown user')).toBe('user "nobody" does not exist');
    expect(await reason('key-only account')).toBe('Invalid credentials');
    expect(await reason('hash that does not parse')).toBe('Invalid credentials');
    expect(await reason('disabled account')).toBe('user is disabled');
    expect(await reason('expired account')).toBe('user is expired');
  });

  it('take about as long whatever the account', async () => {
    const kinds = Object.keys(ATTEMPTS) as Kind[];
    const times = new Map<Kind, number[]>(kinds.map((kind) => [kind, []]));
    await attempt('unknown user'); // warm up
    // Rounds over every kind, so that a slow moment of a loaded machine
    // falls on all of them alike; medians drop the outliers.
    for (let round = 0; round < 9; round++) {
      for (const kind of kinds) times.get(kind)!.push((await attempt(kind)).ms);
    }
    const reference = median(times.get('password account, wrong password')!);
    expect(reference).toBeGreaterThan(1); // a real argon2id verification
    for (const kind of kinds) {
      const ms = median(times.get(kind)!);
      // An early refusal takes well under a millisecond, a hash ~10-50 ms:
      // the bounds are wide enough for a busy machine, and far from that.
      expect(ms, `${kind}: ${ms} ms against ${reference} ms`).toBeGreaterThan(reference * 0.3);
      expect(ms, `${kind}: ${ms} ms against ${reference} ms`).toBeLessThan(reference * 3);
    }
  });
});
