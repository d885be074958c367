import type { GcsConfig, S3Config, User, UserInput } from '@sftpgo/provider';
import { addError, integer, text } from './form-fields.js';

// The storage inputs of the user form: the provider and the settings of
// each, S3 and Google Cloud Storage. Named `s3_<field>` and `gcs_<field>`
// after the fields of `s3config` and `gcsconfig`.

const S3_TEXTS = [
  'bucket',
  'region',
  'access_key',
  'endpoint',
  'storage_class',
  'key_prefix',
] as const satisfies readonly (keyof S3Config)[];
const S3_NUMBERS = [
  'upload_part_size',
  'upload_concurrency',
] as const satisfies readonly (keyof S3Config)[];
const GCS_TEXTS = [
  'bucket',
  'storage_class',
  'key_prefix',
] as const satisfies readonly (keyof GcsConfig)[];

type S3Text = `s3_${(typeof S3_TEXTS)[number] | (typeof S3_NUMBERS)[number]}`;
type GcsText = `gcs_${(typeof GCS_TEXTS)[number]}`;

/** The inputs that show a value; the secrets (`s3_access_secret`, `gcs_credentials`) never do. */
export type StorageFormValues = Record<
  'fs_provider' | S3Text | GcsText | 'gcs_automatic_credentials',
  string
>;

export const STORAGE_FIELDS = [
  'fs_provider',
  ...S3_TEXTS.map((f) => `s3_${f}` as const),
  's3_access_secret',
  ...S3_NUMBERS.map((f) => `s3_${f}` as const),
  ...GCS_TEXTS.map((f) => `gcs_${f}` as const),
  'gcs_automatic_credentials',
  'gcs_credentials',
] as const;
export type StorageField = (typeof STORAGE_FIELDS)[number];

type StorageErrors = Partial<Record<StorageField, string[]>>;

/** The storage inputs of a new user: the local disk. */
export function emptyStorageValues(): StorageFormValues {
  const values = { fs_provider: '0', gcs_automatic_credentials: '' } as StorageFormValues;
  for (const f of S3_TEXTS) values[`s3_${f}`] = '';
  for (const f of S3_NUMBERS) values[`s3_${f}`] = '0';
  for (const f of GCS_TEXTS) values[`gcs_${f}`] = '';
  return values;
}

/** The storage inputs of a stored user. */
export function storageValuesOf(user: User): StorageFormValues {
  const values = emptyStorageValues();
  const fs = user.filesystem;
  values.fs_provider = String(fs.provider);
  if (fs.provider === 1) {
    for (const f of [...S3_TEXTS, ...S3_NUMBERS]) values[`s3_${f}`] = String(fs.s3config[f]);
  } else if (fs.provider === 2) {
    for (const f of GCS_TEXTS) values[`gcs_${f}`] = fs.gcsconfig[f];
    values.gcs_automatic_credentials = fs.gcsconfig.automatic_credentials === 1 ? '1' : '';
  }
  return values;
}

/** What the storage inputs of a form say. */
export interface SubmittedStorage {
  readonly values: StorageFormValues;
  readonly filesystem: UserInput['filesystem'];
  /** Whether a secret was typed (it is not shown again). */
  readonly secretsGiven: boolean;
}

/**
 * Reads the storage inputs. Only the settings of the provider chosen are
 * read; without a provider input, the stored storage is kept. A secret left empty keeps the stored one; a GCS key is typed as its
 * JSON, and sent to the provider base64-encoded as the API takes it.
 */
export function readStorageForm(
  body: Record<string, unknown>,
  stored: User | undefined,
  errors: StorageErrors,
): SubmittedStorage {
  if (!('fs_provider' in body)) {
    // a form without the storage inputs (an operator's template of an
    // earlier version): the stored storage stays as it is
    const values = stored ? storageValuesOf(stored) : emptyStorageValues();
    return { values, filesystem: stored?.filesystem ?? { provider: 0 }, secretsGiven: false };
  }
  const values = emptyStorageValues();
  for (const field of Object.keys(values) as (keyof StorageFormValues)[]) {
    values[field] = text(body, field).trim();
  }
  const accessSecret = text(body, 's3_access_secret');
  const credentials = text(body, 'gcs_credentials').trim();
  const secretsGiven = accessSecret !== '' || credentials !== '';
  const provider = values.fs_provider;
  if (provider === '1') {
    const previous = stored?.filesystem.provider === 1 ? stored.filesystem.s3config : undefined;
    // empty: the stored secret, unless the access key is cleared too (the
    // environment's credentials), as the API keeps it
    const kept = values.s3_access_key !== '' ? (previous?.access_secret ?? '') : '';
    const s3config: Record<string, string | number> = {
      access_secret: accessSecret !== '' ? accessSecret : kept,
    };
    for (const f of S3_TEXTS) s3config[f] = values[`s3_${f}`];
    for (const f of S3_NUMBERS) s3config[f] = integer(values[`s3_${f}`], `s3_${f}`, errors);
    return { values, filesystem: { provider: 1, s3config }, secretsGiven };
  }
  if (provider === '2') {
    const gcsconfig: Record<string, string | number> = {
      automatic_credentials: values.gcs_automatic_credentials === '1' ? 1 : 0,
    };
    for (const f of GCS_TEXTS) gcsconfig[f] = values[`gcs_${f}`];
    if (credentials !== '') gcsconfig.credentials = Buffer.from(credentials).toString('base64');
    return { values, filesystem: { provider: 2, gcsconfig }, secretsGiven };
  }
  if (provider !== '0') addError(errors, 'fs_provider', 'must be one of the storages listed');
  return { values, filesystem: { provider: 0 }, secretsGiven };
}

/**
 * The storage input a problem of the provider (`filesystem.s3config.bucket:
 * ...`) is about, and its message; undefined for other problems.
 */
export function storageProblem(problem: string): [StorageField, string] | undefined {
  const config = /^filesystem\.(s3config|gcsconfig)\.(\w+): ([\s\S]*)$/.exec(problem);
  if (config?.[1] && config[2] && config[3] !== undefined) {
    const field = `${config[1] === 's3config' ? 's3' : 'gcs'}_${config[2]}`;
    if ((STORAGE_FIELDS as readonly string[]).includes(field)) {
      return [field as StorageField, config[3]];
    }
  }
  const provider = /^filesystem(?:\.provider)?: ([\s\S]*)$/.exec(problem);
  if (provider?.[1] !== undefined) return ['fs_provider', provider[1]];
  return undefined;
}
