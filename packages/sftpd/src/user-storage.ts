import type { User } from '@sftpgo/provider';
import { type Fs, OsFs } from '@sftpgo/vfs';

/**
 * Opens the storage of a user for one session. SFTP, SCP, the SSH commands
 * and quota scans all get a user's files from it, so an application that
 * embeds the server can serve them from a backend of its own. The storage
 * must follow no link itself (see {@link sessionFs}); it is closed when the
 * session ends.
 */
export type StorageOpener = (user: User) => Promise<Fs>;

/** A user whose storage the server cannot open: a backend it was not given. */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
}

const PROVIDER_NAMES = { 0: 'local filesystem', 1: 'S3', 2: 'Google Cloud Storage' } as const;

/**
 * The local filesystem: the user's home directory, made if missing. Users
 * of another provider are refused: a server that serves S3 or Google Cloud
 * Storage is given an opener that knows them.
 */
export async function openLocalStorage(user: User): Promise<Fs> {
  const { provider } = user.filesystem;
  if (provider !== 0) {
    throw new StorageUnavailableError(
      `the ${PROVIDER_NAMES[provider]} storage (filesystem provider ${provider}) is not available in this server`,
    );
  }
  return OsFs.create(user.home_dir, { followLinks: false });
}

/**
 * Where a user's virtual `/` is stored, as the reference shows it in logs
 * and actions: the home directory; for S3 the key prefix after a `/`; for
 * Google Cloud Storage the key prefix itself.
 */
export function storageRootOf(user: User): string {
  const fs = user.filesystem;
  if (fs.provider === 1) return `/${fs.s3config.key_prefix}`;
  if (fs.provider === 2) return fs.gcsconfig.key_prefix;
  return user.home_dir;
}
