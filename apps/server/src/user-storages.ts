import { createHash } from 'node:crypto';
import type { AccountSecrets, GcsConfig, S3Config, User } from '@sftpgo/provider';
import { openLocalStorage, type StorageOpener } from '@sftpgo/sftpd';
import type { Fs, ObjectStoreEvents } from '@sftpgo/vfs';
import { UploadBudget } from '@sftpgo/vfs';
import type { ObjectStoreKind } from './metrics.js';

export interface UserStoragesOptions {
  /** Decrypts the S3 secrets and reads the Google Cloud Storage keys of the accounts. */
  readonly secrets: AccountSecrets;
  /** Memory that the uploads to object stores buffer, all sessions together. */
  readonly uploadMemoryBytes: number;
  /** Where each backend tells of its traffic: the metrics. */
  readonly events?: Readonly<Record<ObjectStoreKind, ObjectStoreEvents>>;
  /**
   * Milliseconds a call to an object store may wait with no byte moving
   * before it fails; default {@link IDLE_TIMEOUT_VARIABLE}, else the
   * backends' own (60 s).
   */
  readonly idleTimeoutMs?: number;
}

/** Seconds, a whole number: an administrator's way to wait longer on a slow store, and the tests' to wait less. */
export const IDLE_TIMEOUT_VARIABLE = 'SFTPGO_OBJECT_STORE_IDLE_TIMEOUT';

/** The idle timeout that `env` sets, in milliseconds; throws on a value that is not one. */
export function idleTimeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const text = env[IDLE_TIMEOUT_VARIABLE]?.trim();
  if (!text) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new Error(
      `${IDLE_TIMEOUT_VARIABLE}: expected a whole number of seconds, at least 1, got ${JSON.stringify(text)}`,
    );
  }
  return Number(text) * 1000;
}

/** Clients kept for reuse, each with its connections: one per set of credentials and endpoint. */
const MAX_CLIENTS = 64;

/** A bounded map of clients by the settings that made them; the oldest is dropped first. */
class ClientCache<T> {
  readonly #clients = new Map<string, T>();
  readonly #drop: (client: T) => void;

  constructor(drop: (client: T) => void) {
    this.#drop = drop;
  }

  get(settings: readonly unknown[], make: () => T): T {
    // hashed: the key holds a secret
    const key = createHash('sha256').update(JSON.stringify(settings)).digest('hex');
    let client = this.#clients.get(key);
    if (!client) {
      client = make();
      this.#clients.set(key, client);
      for (const [old, oldest] of this.#clients) {
        if (this.#clients.size <= MAX_CLIENTS) break;
        this.#clients.delete(old);
        this.#drop(oldest);
      }
    }
    return client;
  }
}

/** `fs` once its bucket answers; else an error for the server's log, which may name the bucket. */
async function checked(fs: Fs & { checkBucket(): Promise<void> }, bucket: string): Promise<Fs> {
  try {
    await fs.checkBucket();
  } catch (err) {
    const why = (err as Error).message.replace(/^open "\/": /, '');
    throw new Error(`bucket ${JSON.stringify(bucket)}: ${why}`, { cause: err });
  }
  return fs;
}

/**
 * The server's storage opener: the home directory for users of the local
 * filesystem, their bucket for users of S3 and Google Cloud Storage. The
 * cloud libraries are loaded the first time a user of theirs logs in, so
 * that a server without such users never loads them. Each session checks
 * its bucket first, as the reference does, so that a missing bucket or a
 * refused key is told when the session opens.
 */
export function userStorages(options: UserStoragesOptions): StorageOpener {
  const uploadBudget = new UploadBudget(options.uploadMemoryBytes);
  const idleTimeoutMs = options.idleTimeoutMs ?? idleTimeoutFromEnv(process.env);
  const idle = idleTimeoutMs !== undefined ? { idleTimeoutMs } : {};
  let s3: Promise<(user: User, config: S3Config) => Promise<Fs>> | undefined;
  let gcs: Promise<(user: User, config: GcsConfig) => Promise<Fs>> | undefined;

  const openS3 = async () => {
    const { S3Fs } = await import('@sftpgo/vfs-s3');
    const clients = new ClientCache<ReturnType<typeof S3Fs.client>>((c) => c.destroy());
    return async (user: User, c: S3Config): Promise<Fs> => {
      const accessSecret = await options.secrets.s3Secret(user);
      const settings = {
        bucket: c.bucket,
        region: c.region,
        accessKey: c.access_key,
        accessSecret,
        endpoint: c.endpoint,
        ...idle,
      };
      const client = clients.get([c.region, c.endpoint, c.access_key, accessSecret], () =>
        S3Fs.client(settings),
      );
      const fs = new S3Fs({
        ...settings,
        client,
        storageClass: c.storage_class,
        keyPrefix: c.key_prefix,
        ...(c.upload_part_size > 0 ? { uploadPartSize: c.upload_part_size } : {}),
        ...(c.upload_concurrency > 0 ? { uploadConcurrency: c.upload_concurrency } : {}),
        uploadBudget,
        ...(options.events ? { events: options.events.s3 } : {}),
      });
      return checked(fs, c.bucket);
    };
  };

  const openGcs = async () => {
    const { GcsFs } = await import('@sftpgo/vfs-gcs');
    const clients = new ClientCache<ReturnType<typeof GcsFs.storage>>(() => {});
    return async (user: User, c: GcsConfig): Promise<Fs> => {
      const credentials = await options.secrets.gcsCredentials(user);
      const settings = {
        bucket: c.bucket,
        automaticCredentials: c.automatic_credentials === 1,
        ...(credentials !== undefined ? { credentials } : {}),
        ...idle,
      };
      const storage = clients.get([settings.automaticCredentials, credentials ?? ''], () =>
        GcsFs.storage(settings),
      );
      const fs = new GcsFs({
        ...settings,
        storage,
        storageClass: c.storage_class,
        keyPrefix: c.key_prefix,
        uploadBudget,
        ...(options.events ? { events: options.events.gcs } : {}),
      });
      return checked(fs, c.bucket);
    };
  };

  return async (user) => {
    const fs = user.filesystem;
    switch (fs.provider) {
      case 1:
        s3 ??= openS3();
        return (await s3)(user, fs.s3config);
      case 2:
        gcs ??= openGcs();
        return (await gcs)(user, fs.gcsconfig);
      default:
        return openLocalStorage(user);
    }
  };
}
