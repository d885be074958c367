import { stat } from 'node:fs/promises';
import { type DataProvider, ProviderError, type User } from '@sftpgo/provider';
import { type Fs, OsFs, scanUsage, type Usage } from '@sftpgo/vfs';

/** A running quota scan, as `GET /api/v1/quota_scan` lists it. */
export interface QuotaScanStatus {
  readonly username: string;
  /** Milliseconds since the epoch. */
  readonly start_time: number;
}

/**
 * The regular files under a home dir on the local disk and their bytes,
 * links not followed. A missing home dir holds nothing, and is not created.
 */
export async function homeDirUsage(homeDir: string): Promise<Usage> {
  try {
    await stat(homeDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { size: 0, files: 0 };
    throw err;
  }
  const fs = await OsFs.create(homeDir);
  try {
    return await scanUsage(fs);
  } finally {
    await fs.close();
  }
}

/** The files of a storage opened for the scan, and their bytes; the storage is closed after. */
async function storageUsage(fs: Fs): Promise<Usage> {
  try {
    return await scanUsage(fs);
  } finally {
    await fs.close?.();
  }
}

export interface QuotaScansOptions {
  /**
   * Opens the storage of a user who is not on the local filesystem (S3,
   * Google Cloud Storage), as the SSH service opens it; the home dir of a
   * local user is measured with {@link homeDirUsage}, never created.
   */
  readonly openStorage?: (user: User) => Promise<Fs>;
  /** How a user's files are measured, in place of the above. */
  readonly usage?: (user: User) => Promise<Usage>;
  /** Called when a scan fails: its result is not stored. */
  readonly onError?: (err: unknown) => void;
}

/**
 * The quota scans under way, at most one per username: each measures the
 * user's files (home dir or bucket) in the background and stores the result as the user's
 * used quota.
 */
export class QuotaScans {
  readonly #provider: DataProvider;
  readonly #usage: (user: User) => Promise<Usage>;
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #running = new Map<string, QuotaScanStatus>();
  readonly #pending = new Set<Promise<void>>();

  constructor(provider: DataProvider, options: QuotaScansOptions = {}) {
    this.#provider = provider;
    const { openStorage } = options;
    this.#usage =
      options.usage ??
      (async (user) =>
        user.filesystem.provider === 0 || !openStorage
          ? homeDirUsage(user.home_dir)
          : storageUsage(await openStorage(user)));
    this.#onError = options.onError;
  }

  /** The scans under way, oldest first. */
  list(): QuotaScanStatus[] {
    return [...this.#running.values()];
  }

  /** Starts a scan of `user`; false, and nothing started, when one of that username runs already. */
  start(user: User): boolean {
    const { username } = user;
    if (this.#running.has(username)) return false;
    this.#running.set(username, { username, start_time: Date.now() });
    const scan = this.#scan(user).finally(() => {
      this.#running.delete(username);
      this.#pending.delete(scan);
    });
    this.#pending.add(scan);
    return true;
  }

  /** Resolves once no scan runs. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  async #scan(user: User): Promise<void> {
    try {
      const usage = await this.#usage(user);
      await this.#provider.updateQuota(user.username, { reset: usage });
    } catch (err) {
      // deleted or renamed while scanned: nothing to store
      if (err instanceof ProviderError && err.code === 'not-found') return;
      this.#onError?.(
        new Error(
          `quota scan of user ${JSON.stringify(user.username)} failed: ${(err as Error).message}`,
          { cause: err },
        ),
      );
    }
  }
}
