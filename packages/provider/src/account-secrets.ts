import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ProviderError } from './errors.js';
import type { User } from './user.js';

export interface AccountSecretsOptions {
  /**
   * The file of the 32-byte AES-256 key that encrypts the stored S3
   * secrets: created (mode 0600, its directory too) the first time a secret
   * is encrypted, never by a read. Every server sharing a database must
   * share it; a dump's secrets are readable only with it.
   */
  readonly keyFile: string;
  /**
   * Where the Google Cloud Storage keys of users are kept, one file each,
   * `<username>_gcs_credentials.json`, mode 0600 (the directory is created
   * with mode 0700): the reference server's `credentials_path`.
   */
  readonly credentialsDir: string;
}

const PREFIX = '$aes$';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Whether `value` is an encrypted secret, of this server (`$aes$<data>`) or of the reference one (`$aes$<key>$<data>`). */
export function isEncryptedSecret(value: string): boolean {
  const parts = value.split('$').length;
  return value.startsWith(PREFIX) && (parts === 3 || parts === 4);
}

/** The parts of `$aes$<key>$<data>`, the reference server's form, whose key is the 32 hex characters themselves. */
function referenceParts(value: string): { key: Buffer; data: string } | undefined {
  const parts = value.split('$');
  if (!value.startsWith(PREFIX) || parts.length !== 4) return undefined;
  return { key: Buffer.from(parts[2] ?? '', 'latin1'), data: parts[3] ?? '' };
}

// `data`: hex of nonce (12 bytes) || ciphertext || GCM tag (16 bytes), as Go's gcm.Seal(nonce, nonce, ...)
function open(key: Buffer, data: string): string {
  if (key.length !== KEY_BYTES) throw new Error(`the key is ${key.length} bytes, not ${KEY_BYTES}`);
  const sealed = /^(?:[0-9a-fA-F]{2})*$/.test(data) ? Buffer.from(data, 'hex') : Buffer.alloc(0);
  if (sealed.length < NONCE_BYTES + TAG_BYTES)
    throw new Error('the data is not hex of a sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}

function seal(key: Buffer, plain: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('hex');
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/**
 * The secrets of accounts on S3 or Google Cloud Storage: the S3 access
 * secret, stored encrypted with AES-256-GCM under the server's key, and the
 * GCS service account keys, stored as files of the credentials directory.
 *
 * @example
 * const secrets = new AccountSecrets({ keyFile: '/etc/sftpgo/sftpgo-secrets.key', credentialsDir: '/etc/sftpgo/credentials' });
 * const { provider } = await openDataProvider(settings, { configDir, sqlDir, secrets });
 * const secret = await secrets.s3Secret(user); // for the S3 client
 */
export class AccountSecrets {
  readonly keyFile: string;
  readonly credentialsDir: string;
  #key: Promise<Buffer> | undefined;

  constructor(options: AccountSecretsOptions) {
    this.keyFile = options.keyFile;
    this.credentialsDir = options.credentialsDir;
  }

  /**
   * `plain` encrypted with this server's key, as `$aes$<hex>`: the nonce,
   * the ciphertext and the tag, without the key. Creates the key file when
   * there is none yet.
   * @throws {ProviderError} `unavailable` when the key file cannot be read or created
   */
  async encrypt(plain: string): Promise<string> {
    return `${PREFIX}${seal(await this.#serverKey(true), plain)}`;
  }

  /**
   * The plain text of an encrypted secret: of this server's form, with its
   * key; of the reference server's form, with the key stored in it.
   * @throws {ProviderError} `unavailable` when it cannot be decrypted, naming why (a missing key file among the reasons)
   */
  async decrypt(stored: string): Promise<string> {
    const reference = referenceParts(stored);
    const parts = stored.split('$');
    if (!reference && !(stored.startsWith(PREFIX) && parts.length === 3)) {
      throw new ProviderError('unavailable', 'the secret is not in an encrypted form ($aes$...)');
    }
    const key = reference ? reference.key : await this.#serverKey(false);
    try {
      return open(key, reference ? reference.data : (parts[2] ?? ''));
    } catch (err) {
      const whose = reference ? 'the key stored with it' : `the key of ${this.keyFile}`;
      throw new ProviderError(
        'unavailable',
        `the secret cannot be decrypted with ${whose}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /**
   * The plain S3 access secret of a user of S3 (`filesystem.provider` 1);
   * `''` when it has none (the environment's credentials are then used), or
   * for a user of another storage. A stored value that is not encrypted (a
   * users file written by hand, for the memory driver) is plain text.
   * @throws {ProviderError} `unavailable` when it cannot be decrypted
   */
  async s3Secret(user: User): Promise<string> {
    if (user.filesystem.provider !== 1) return '';
    const stored = user.filesystem.s3config.access_secret;
    if (!isEncryptedSecret(stored)) return stored;
    try {
      return await this.decrypt(stored);
    } catch (err) {
      const reason = (err as Error).message;
      throw new ProviderError(
        'unavailable',
        `the S3 access secret of user ${JSON.stringify(user.username)}: ${reason}`,
        { cause: err },
      );
    }
  }

  /** The file of the GCS service account key of `username`, as the reference server names it. */
  gcsCredentialsPath(username: string): string {
    return join(this.credentialsDir, gcsCredentialsName(username));
  }

  /**
   * The JSON text of the service account key of a user of Google Cloud
   * Storage (`filesystem.provider` 2); undefined when it uses the
   * environment's credentials (`automatic_credentials` 1), or another storage.
   * @throws {ProviderError} `unavailable` when its key file cannot be read
   */
  async gcsCredentials(user: User): Promise<string | undefined> {
    const fs = user.filesystem;
    if (fs.provider !== 2 || fs.gcsconfig.automatic_credentials === 1) return undefined;
    try {
      return await readFile(this.gcsCredentialsPath(user.username), 'utf8');
    } catch (err) {
      const why = errnoOf(err) === 'ENOENT' ? 'none is stored' : (err as Error).message;
      throw new ProviderError(
        'unavailable',
        `the GCS key of user ${JSON.stringify(user.username)} cannot be read: ${why}`,
        { cause: err },
      );
    }
  }

  /** Whether a non-empty key file is stored for `username`. */
  async hasGcsCredentials(username: string): Promise<boolean> {
    const info = await stat(this.gcsCredentialsPath(username)).catch(() => undefined);
    return info?.isFile() === true && info.size > 0;
  }

  /**
   * Writes `json` beside the key file of `username`, not in its place yet:
   * `commit` puts it there (once the user is stored), `abort` removes it.
   * @throws {ProviderError} `unavailable` when the file cannot be written
   */
  async stageGcsCredentials(
    username: string,
    json: string,
  ): Promise<{ commit(): Promise<void>; abort(): Promise<void> }> {
    const target = this.gcsCredentialsPath(username);
    const staged = join(this.credentialsDir, `.${randomBytes(8).toString('hex')}.tmp`);
    try {
      await mkdir(this.credentialsDir, { recursive: true, mode: 0o700 });
      await writeFile(staged, json, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      throw new ProviderError(
        'unavailable',
        `could not save GCS credentials: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return {
      commit: () => rename(staged, target),
      abort: () => unlink(staged).catch(() => undefined),
    };
  }

  /** Moves the key file of a renamed user, if it has one. */
  async moveGcsCredentials(from: string, to: string): Promise<void> {
    if (from === to || !gcsCredentialsNameFits(from)) return;
    await rename(this.gcsCredentialsPath(from), this.gcsCredentialsPath(to)).catch((err) => {
      if (errnoOf(err) !== 'ENOENT') throw err;
    });
  }

  /** Removes the key file of `username`, if there is one. */
  async removeGcsCredentials(username: string): Promise<void> {
    // a name too long for the filesystem has no file: nothing to remove
    if (!gcsCredentialsNameFits(username)) return;
    await unlink(this.gcsCredentialsPath(username)).catch((err) => {
      if (errnoOf(err) !== 'ENOENT') throw err;
    });
  }

  /** The server's key, read once; created when missing if `create`. */
  #serverKey(create: boolean): Promise<Buffer> {
    const cached = this.#key;
    if (cached) return cached;
    const loading = this.#loadKey(create);
    this.#key = loading;
    // not kept when failed: the file may be there, or creatable, later
    loading.catch(() => {
      if (this.#key === loading) this.#key = undefined;
    });
    return loading;
  }

  async #loadKey(create: boolean): Promise<Buffer> {
    const file = this.keyFile;
    const fail = (why: string, err?: unknown) =>
      new ProviderError('unavailable', `the secrets key file ${file}: ${why}`, { cause: err });
    for (;;) {
      try {
        const key = await readFile(file);
        if (key.length !== KEY_BYTES) throw fail(`holds ${key.length} bytes, not ${KEY_BYTES}`);
        return key;
      } catch (err) {
        if (err instanceof ProviderError) throw err;
        if (errnoOf(err) !== 'ENOENT') throw fail((err as Error).message, err);
        if (!create) throw fail('does not exist: no secret was encrypted with this key', err);
      }
      try {
        return await this.#createKey();
      } catch (err) {
        // another process created it meanwhile: read theirs
        if (errnoOf(err) !== 'EEXIST')
          throw fail(`cannot be created: ${(err as Error).message}`, err);
      }
    }
  }

  /** A new key file, appearing whole or not at all (a linked temporary file). */
  async #createKey(): Promise<Buffer> {
    const file = this.keyFile;
    const key = randomBytes(KEY_BYTES);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${randomBytes(8).toString('hex')}.tmp`;
    await writeFile(temporary, key, { mode: 0o600, flag: 'wx' });
    try {
      await link(temporary, file);
    } finally {
      await unlink(temporary).catch(() => undefined);
    }
    return key;
  }
}

/** The name of the key file of `username`, as the reference server names it. */
function gcsCredentialsName(username: string): string {
  return `${username}_gcs_credentials.json`;
}

/** The longest file name of the filesystems the server runs on (Linux's NAME_MAX), in bytes. */
const NAME_MAX = 255;

/** Whether the key file of `username` has a name that a filesystem takes. */
export function gcsCredentialsNameFits(username: string): boolean {
  return Buffer.byteLength(gcsCredentialsName(username)) <= NAME_MAX;
}
