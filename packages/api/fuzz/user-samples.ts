// Valid users, the seeds of the bodies the fuzzer sends: a valid document
// made slightly wrong reaches further into the API than noise does.
import { posix } from 'node:path';
import type { FuzzRandom } from '@sftpgo/test-utils';

/** Go's own bcrypt test vector ("allmine", cost 10): a stored hash that costs no hashing. */
export const BCRYPT_HASH = '$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga';

export const PUBLIC_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

/** A GCS service account key, base64-encoded as the API takes it. */
const GCS_KEY = Buffer.from('{"type":"service_account","project_id":"fuzz"}').toString('base64');

/**
 * A password: mostly a stored hash or none, since each plain one costs an
 * argon2id hash (19 MiB, 2 passes) that would make the fuzzer slow.
 */
function password(r: FuzzRandom): Record<string, unknown> {
  switch (r.int(8)) {
    case 0:
      return { password: `plain-${r.int(1000)}` };
    case 1:
    case 2:
      return { public_keys: [PUBLIC_KEY] };
    case 3:
      return { password: BCRYPT_HASH, public_keys: [PUBLIC_KEY, `${PUBLIC_KEY} comment`] };
    default:
      return { password: BCRYPT_HASH };
  }
}

function filesystem(r: FuzzRandom): Record<string, unknown> {
  switch (r.int(6)) {
    case 0:
      return {
        provider: 1,
        s3config: {
          bucket: 'fuzz-bucket',
          region: 'us-east-1',
          access_key: 'AKIAFUZZ',
          access_secret: 'plain-secret',
          endpoint: r.pick(['', 'http://127.0.0.1:9000', 'https://s3.example.com']),
          key_prefix: r.pick(['', 'users/fuzz/', 'a//b']),
          upload_part_size: r.pick([0, 5, 5000]),
          upload_concurrency: r.pick([0, 2, 64]),
        },
        gcsconfig: {},
      };
    case 1:
      return {
        provider: 2,
        s3config: {},
        gcsconfig: r.chance(0.5)
          ? { bucket: 'fuzz-bucket', automatic_credentials: 1 }
          : { bucket: 'fuzz-bucket', credentials: GCS_KEY, storage_class: 'STANDARD' },
      };
    default:
      return { provider: 0, s3config: {}, gcsconfig: {} };
  }
}

/** A valid user of `username`, its home dir under `homesRoot`, of every kind the API stores. */
export function validUser(
  r: FuzzRandom,
  username: string,
  homesRoot: string,
): Record<string, unknown> {
  const user: Record<string, unknown> = {
    username,
    status: r.int(2),
    home_dir: posix.join(homesRoot, username),
    permissions: r.chance(0.5)
      ? { '/': ['*'] }
      : { '/': ['list', 'download'], '/sub': ['upload', 'delete'], '/ro/deep': [] },
    ...password(r),
  };
  if (r.chance(0.5)) {
    Object.assign(user, {
      expiration_date: r.pick([0, 1, Date.now() + 86_400_000]),
      uid: r.pick([0, 1000, 65535]),
      gid: r.pick([0, 1000, 65535]),
      max_sessions: r.int(5),
      quota_size: r.pick([0, 1024, 2 ** 40]),
      quota_files: r.int(100),
      upload_bandwidth: r.int(1000),
      download_bandwidth: r.int(1000),
    });
  }
  if (r.chance(0.3)) {
    user.filters = { allowed_ip: ['192.168.1.0/24', '::1/128'], denied_ip: ['10.0.0.1/32'] };
  }
  if (r.chance(0.6)) user.filesystem = filesystem(r);
  return user;
}

/**
 * `user` on S3 with a secret in the encrypted form that no key decrypts:
 * this server's form (`$aes$<hex>`) or the reference one's (`$aes$<key>$<hex>`).
 */
export function withUndecryptableSecret(r: FuzzRandom, user: Record<string, unknown>): void {
  const sealed = 'ab'.repeat(r.int(40));
  user.filesystem = {
    provider: 1,
    s3config: {
      bucket: 'fuzz-bucket',
      region: 'us-east-1',
      access_key: 'AKIAFUZZ',
      access_secret: r.chance(0.5)
        ? `$aes$${sealed}`
        : `$aes$${'k'.repeat(r.pick([0, 32]))}$${sealed}`,
    },
  };
}

/** A username, fresh or at the edges of what is valid. */
export function freshUsername(r: FuzzRandom, caseSeed: number): string {
  switch (r.int(12)) {
    case 0:
      return 'u'.repeat(255); // the longest valid one
    case 1:
      return 'u'.repeat(256);
    case 2:
      return r.pick(['.', '..', '...', 'a b', 'é', '', '-', '~@.']);
    default:
      return `fz-${(caseSeed >>> 0).toString(36)}-${r.int(1000)}`;
  }
}

/**
 * `value` with its top-level `home_dir`, when absolute, moved under
 * `homesRoot`, which does not exist: a quota scan, which the fuzzer starts
 * too, must never walk the machine's own tree (a home dir of `/`). Any other
 * value is left to the validation it is there to test.
 */
export function confineHomeDir(value: unknown, homesRoot: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const home = (value as { home_dir?: unknown }).home_dir;
  if (typeof home !== 'string' || !home.startsWith('/')) return value;
  const resolved = posix.resolve(home);
  // a home dir shown by the API is there already: not moved again, not growing
  const inside = resolved === homesRoot || resolved.startsWith(`${homesRoot}/`);
  return { ...value, home_dir: inside ? resolved : `${homesRoot}${resolved}` };
}

/** `dump`, a `{"users": [...]}` value, with each user's home dir confined as above. */
export function confineDumpHomeDirs(dump: unknown, homesRoot: string): unknown {
  const users = (dump as { users?: unknown } | null)?.users;
  if (!Array.isArray(users)) return dump;
  return { ...(dump as object), users: users.map((u) => confineHomeDir(u, homesRoot)) };
}
