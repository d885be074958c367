import {
  type AccountSecrets,
  gcsCredentialsNameFits,
  isEncryptedSecret,
} from './account-secrets.js';
import { ProviderError, ValidationError } from './errors.js';
import { decodeGcsCredentials, shownS3Secret } from './filesystem.js';
import { parseUserInput, type S3Config, type User, type UserInput } from './user.js';

/** A write of a user, its secrets made ready: what to store, and the files to change once stored. */
export interface SecretsWrite {
  readonly input: UserInput;
  /** The user is stored: its GCS key file is put in place, moved or removed. */
  commit(stored: User): Promise<void>;
  /** The store refused the user: nothing written for it stays. */
  abort(): Promise<void>;
}

const nothingToDo = async (): Promise<void> => {};

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * `input` with the stored S3 secret in place of an empty one (when the
 * access key is given) or of the secret as it was shown: an update of a user
 * of S3 keeps its secret, as the reference server's.
 */
function withKeptS3Secret(input: UserInput, previous: User | undefined): UserInput {
  const fs = asObject(input.filesystem);
  const s3 = asObject(fs?.s3config);
  if (fs?.provider !== 1 || previous?.filesystem.provider !== 1) return input;
  const stored = previous.filesystem.s3config.access_secret;
  const sent = s3?.access_secret ?? '';
  const keep =
    sent !== stored &&
    (sent === shownS3Secret(stored) ||
      (sent === '' && typeof s3?.access_key === 'string' && s3.access_key !== ''));
  if (!keep) return input;
  const filesystem = { ...fs, s3config: { ...s3, access_secret: stored } };
  return { ...input, filesystem } as UserInput;
}

/**
 * The S3 secret to store for `sent`: plain text encrypted with the server's
 * key; the reference server's form re-encrypted with it; this server's form
 * kept when it is the stored one or decrypts with the key.
 * @throws {ValidationError} when an encrypted secret cannot be decrypted
 */
async function s3SecretToStore(
  sent: string,
  previousSecret: string | undefined,
  secrets: AccountSecrets,
): Promise<string> {
  if (sent === '') return '';
  if (!isEncryptedSecret(sent)) return secrets.encrypt(sent);
  if (sent === previousSecret && sent.split('$').length === 3) return sent;
  let plain: string;
  try {
    plain = await secrets.decrypt(sent);
  } catch (err) {
    const reference = sent.split('$').length === 4;
    const problem = reference
      ? `access_secret cannot be decrypted: ${(err as Error).message}`
      : "access_secret cannot be decrypted with this server's key: send it in plain text";
    throw new ValidationError([
      `filesystem.s3config.access_secret: could not validate s3config: ${problem}`,
    ]);
  }
  return sent.split('$').length === 3 ? sent : secrets.encrypt(plain);
}

/** The GCS key that `input` sends, base64-encoded, or `''`. */
function sentGcsCredentials(input: UserInput): string {
  const credentials = asObject(asObject(input.filesystem)?.gcsconfig)?.credentials;
  return typeof credentials === 'string' ? credentials : '';
}

/**
 * Makes ready the secrets of a user about to be stored in place of
 * `previous` (none for a new user), with the rules of the reference server:
 * the S3 secret stored encrypted, kept when sent empty or as shown; the GCS
 * key written to its file (never to the store), which must exist when none is
 * sent and the environment's credentials are not used; a renamed user's key
 * file moved, a deleted or moved-away one removed.
 * Without `secrets`, a user of S3 or GCS is refused.
 * An invalid input is left as it is, for the store to name its problems.
 * @throws {ValidationError} for a secret that cannot be used
 */
export async function prepareSecretsWrite(
  raw: UserInput,
  previous: User | undefined,
  secrets: AccountSecrets | undefined,
): Promise<SecretsWrite> {
  const input = withKeptS3Secret(raw, previous);
  const parsed = parseUserInput(input);
  if (!parsed.ok) return { input, commit: nothingToDo, abort: nothingToDo };
  const { filesystem: fs, username } = parsed.user;
  const previousGcsOwner = previous?.filesystem.provider === 2 ? previous.username : undefined;
  const dropPrevious = async () => {
    if (previousGcsOwner !== undefined) await secrets?.removeGcsCredentials(previousGcsOwner);
  };
  if (fs.provider === 0) return { input, commit: dropPrevious, abort: nothingToDo };
  if (!secrets) {
    const name = fs.provider === 1 ? 'S3' : 'Google Cloud Storage';
    throw new ValidationError([
      `filesystem.provider: ${name} is not available: the data provider was opened without account secrets`,
    ]);
  }

  if (fs.provider === 1) {
    const previousSecret =
      previous?.filesystem.provider === 1 ? previous.filesystem.s3config.access_secret : undefined;
    const s3config: S3Config = {
      ...fs.s3config,
      access_secret: await s3SecretToStore(fs.s3config.access_secret, previousSecret, secrets),
    };
    const stored: UserInput = { ...input, filesystem: { provider: 1, s3config } };
    return { input: stored, commit: dropPrevious, abort: nothingToDo };
  }

  const { gcsconfig } = fs;
  // its key is stored in a file named after it: the name must fit
  if (gcsconfig.automatic_credentials !== 1 && !gcsCredentialsNameFits(username)) {
    throw new ValidationError([
      'username: too long for a user of Google Cloud Storage with a stored key: the name of its key file, <username>_gcs_credentials.json, would pass 255 bytes',
    ]);
  }
  const stripped: UserInput = { ...input, filesystem: { provider: 2, gcsconfig } };
  const credentials = sentGcsCredentials(input);
  if (credentials !== '') {
    const decoded = decodeGcsCredentials(credentials);
    // valid: parseUserInput checked it
    const staged = await secrets.stageGcsCredentials(username, decoded.ok ? decoded.json : '');
    const commit = async (stored: User) => {
      await staged.commit();
      if (previousGcsOwner !== undefined && previousGcsOwner !== stored.username) {
        await secrets.removeGcsCredentials(previousGcsOwner);
      }
    };
    return { input: stripped, commit, abort: staged.abort };
  }
  const owner = previousGcsOwner ?? username;
  if (gcsconfig.automatic_credentials === 0 && !(await secrets.hasGcsCredentials(owner))) {
    throw new ValidationError([
      'filesystem.gcsconfig.credentials: could not validate GCS config: invalid credentials: none is stored for this user: send them, or set automatic_credentials to 1',
    ]);
  }
  const commit = (stored: User) => secrets.moveGcsCredentials(owner, stored.username);
  return { input: stripped, commit, abort: nothingToDo };
}

/**
 * Runs `store` with the input of `write`, then commits it; aborts it when
 * the store fails.
 */
export async function storeWithSecrets(
  write: SecretsWrite,
  store: (input: UserInput) => Promise<User>,
): Promise<User> {
  let user: User;
  try {
    user = await store(write.input);
  } catch (err) {
    await write.abort();
    throw err;
  }
  try {
    await write.commit(user);
  } catch (err) {
    throw new ProviderError(
      'unavailable',
      `user ${JSON.stringify(user.username)} stored, but its GCS key file could not be updated: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return user;
}
