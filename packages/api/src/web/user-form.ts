import { PERMISSIONS, type Permission, type User, type UserInput } from '@sftpgo/provider';
import { addError, integer, text, texts } from './form-fields.js';
import {
  emptyStorageValues,
  readStorageForm,
  STORAGE_FIELDS,
  type StorageFormValues,
  storageProblem,
  storageValuesOf,
} from './storage-form.js';

/** The form's fields, each shown with its own errors; `_form` holds the rest. */
export const FORM_FIELDS = [
  'username',
  'password',
  'status',
  'expiration_date',
  'home_dir',
  'public_keys',
  'uid',
  'gid',
  'max_sessions',
  'quota_size',
  'quota_files',
  'upload_bandwidth',
  'download_bandwidth',
  'permissions_root',
  'permissions_dirs',
  'allowed_ip',
  'denied_ip',
  ...STORAGE_FIELDS,
] as const;
export type FormField = (typeof FORM_FIELDS)[number];

/** The errors of a submitted form, by field. */
export type FieldErrors = Partial<Record<FormField | '_form', string[]>>;

/** What the form's inputs show: strings as typed (the password and the storage secrets never). */
export interface UserFormValues extends StorageFormValues {
  username: string;
  status: string;
  expiration_date: string;
  home_dir: string;
  public_keys: string;
  uid: string;
  gid: string;
  max_sessions: string;
  quota_size: string;
  quota_files: string;
  upload_bandwidth: string;
  download_bandwidth: string;
  permissions_root: string[];
  permissions_dirs: string;
  allowed_ip: string;
  denied_ip: string;
}

const INTEGER_FIELDS = [
  'uid',
  'gid',
  'max_sessions',
  'quota_size',
  'quota_files',
  'upload_bandwidth',
  'download_bandwidth',
] as const;

/** The values of a new user's form. */
export function emptyFormValues(): UserFormValues {
  return {
    username: '',
    status: '1',
    expiration_date: '',
    home_dir: '',
    public_keys: '',
    uid: '0',
    gid: '0',
    max_sessions: '0',
    quota_size: '0',
    quota_files: '0',
    upload_bandwidth: '0',
    download_bandwidth: '0',
    permissions_root: ['list', 'download'],
    permissions_dirs: '',
    allowed_ip: '',
    denied_ip: '',
    ...emptyStorageValues(),
  };
}

/** `/dir: perm1,perm2` lines for every directory but the root. */
function permissionLines(permissions: User['permissions']): string {
  return Object.entries(permissions)
    .filter(([dir]) => dir !== '/')
    .map(([dir, perms]) => (perms.length === 0 ? `${dir}:` : `${dir}: ${perms.join(',')}`))
    .join('\n');
}

/** The form's values for a stored user. */
export function formValuesOf(user: User): UserFormValues {
  return {
    username: user.username,
    status: String(user.status),
    expiration_date: user.expiration_date ? dateInput(user.expiration_date) : '',
    home_dir: user.home_dir,
    public_keys: user.public_keys.join('\n'),
    uid: String(user.uid),
    gid: String(user.gid),
    max_sessions: String(user.max_sessions),
    quota_size: String(user.quota_size),
    quota_files: String(user.quota_files),
    upload_bandwidth: String(user.upload_bandwidth),
    download_bandwidth: String(user.download_bandwidth),
    permissions_root: [...(user.permissions['/'] ?? [])],
    permissions_dirs: permissionLines(user.permissions),
    allowed_ip: user.filters.allowed_ip.join('\n'),
    denied_ip: user.filters.denied_ip.join('\n'),
    ...storageValuesOf(user),
  };
}

/** Milliseconds since the epoch as an `<input type="date">` value, in UTC. */
function dateInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/**
 * The sub-directory permissions of the textarea: one `/dir: perm1,perm2`
 * line per directory (the directory may be quoted; it is split at its last
 * colon, so it may hold colons itself); `/dir:` alone grants nothing there,
 * as the API allows.
 */
function parsePermissionLines(
  value: string,
  errors: FieldErrors,
): Record<string, Permission[]> | undefined {
  const result: Record<string, Permission[]> = {};
  let ok = true;
  const fail = (message: string) => {
    ok = false;
    addError(errors, 'permissions_dirs', message);
  };
  value.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const colon = line.lastIndexOf(':');
    if (colon < 0) {
      fail(`line ${i + 1}: expected "/dir: perm1,perm2"`);
      return;
    }
    let dir = line.slice(0, colon).trim();
    if (dir.length >= 2 && dir.startsWith('"') && dir.endsWith('"')) dir = dir.slice(1, -1);
    const perms = line
      .slice(colon + 1)
      .split(/[\s,]+/)
      .filter((p) => p !== '');
    const unknown = perms.filter((p) => !isPermission(p));
    if (dir === '') {
      fail(`line ${i + 1}: the directory is missing`);
    } else if (dir === '/' || /^\/+$/.test(dir)) {
      fail(`line ${i + 1}: set the permissions of "/" with the checkboxes above`);
    } else if (unknown.length > 0) {
      fail(`line ${i + 1}: invalid permission ${unknown.map((p) => `"${p}"`).join(', ')}`);
    } else if (dir in result) {
      fail(`line ${i + 1}: the directory "${dir}" is listed twice`);
    } else {
      result[dir] = perms as Permission[];
    }
  });
  return ok ? result : undefined;
}

/** A date field (UTC) as milliseconds since the epoch; empty means never (0). */
function expiration(value: string, stored: User | undefined, errors: FieldErrors): number {
  const trimmed = value.trim();
  if (trimmed === '') return 0;
  // unchanged: the stored time, to the millisecond, even if not at midnight
  if (stored?.expiration_date && dateInput(stored.expiration_date) === trimmed) {
    return stored.expiration_date;
  }
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? Date.parse(`${trimmed}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || ms < 0 || dateInput(ms) !== trimmed) {
    addError(errors, 'expiration_date', 'must be a date as YYYY-MM-DD');
    return 0;
  }
  return ms;
}

/** A submitted form: what it showed, the user it describes, the errors found in it. */
export interface SubmittedForm {
  readonly values: UserFormValues;
  readonly input: UserInput;
  /** Whether a password was typed (it is not shown again). */
  readonly passwordGiven: boolean;
  /** Whether a storage secret was typed (it is not shown again either). */
  readonly secretsGiven: boolean;
  readonly errors: FieldErrors;
}

/**
 * Reads the user form. On edit (`stored` given) an empty password, S3 secret
 * or GCS key keeps the stored one.
 */
export function readUserForm(body: Record<string, unknown>, stored?: User): SubmittedForm {
  const errors: FieldErrors = {};
  const storage = readStorageForm(body, stored, errors);
  const values: UserFormValues = {
    username: text(body, 'username').trim(),
    status: text(body, 'status'),
    expiration_date: text(body, 'expiration_date'),
    home_dir: text(body, 'home_dir').trim(),
    public_keys: text(body, 'public_keys'),
    uid: text(body, 'uid'),
    gid: text(body, 'gid'),
    max_sessions: text(body, 'max_sessions'),
    quota_size: text(body, 'quota_size'),
    quota_files: text(body, 'quota_files'),
    upload_bandwidth: text(body, 'upload_bandwidth'),
    download_bandwidth: text(body, 'download_bandwidth'),
    permissions_root: texts(body, 'permissions_root'),
    permissions_dirs: text(body, 'permissions_dirs'),
    allowed_ip: text(body, 'allowed_ip'),
    denied_ip: text(body, 'denied_ip'),
    ...storage.values,
  };
  const password = text(body, 'password');

  const numbers = Object.fromEntries(
    INTEGER_FIELDS.map((field) => [field, integer(values[field], field, errors)]),
  ) as Record<(typeof INTEGER_FIELDS)[number], number>;
  if (values.status !== '0' && values.status !== '1') {
    addError(errors, 'status', 'must be enabled or disabled');
  }
  const rootPermissions = values.permissions_root.filter(isPermission);
  if (rootPermissions.length !== values.permissions_root.length) {
    addError(errors, 'permissions_root', 'holds an unknown permission');
  }
  if (rootPermissions.length === 0) {
    addError(errors, 'permissions_root', 'grant at least one permission');
  }
  const subDirs = parsePermissionLines(values.permissions_dirs, errors) ?? {};

  const input: UserInput = {
    status: values.status === '0' ? 0 : 1,
    username: values.username,
    expiration_date: expiration(values.expiration_date, stored, errors),
    // a stored hash is kept as it is
    password: password !== '' ? password : stored?.password || undefined,
    public_keys: lines(values.public_keys),
    home_dir: values.home_dir,
    ...numbers,
    permissions: { '/': rootPermissions, ...subDirs },
    filters: { allowed_ip: lines(values.allowed_ip), denied_ip: lines(values.denied_ip) },
    filesystem: storage.filesystem,
  };
  return {
    values,
    input,
    passwordGiven: password !== '',
    secretsGiven: storage.secretsGiven,
    errors,
  };
}

/** The fields that are a field of the user as they are; the others are built from several inputs. */
const COMPOSED_FIELDS: readonly FormField[] = [
  'permissions_root',
  'permissions_dirs',
  'allowed_ip',
  'denied_ip',
];
const DIRECT_FIELDS: ReadonlySet<string> = new Set(
  FORM_FIELDS.filter((field) => !COMPOSED_FIELDS.includes(field)),
);

/**
 * Files the problems of a ValidationError (`field: message`, the field a
 * dotted path into the user) under the form fields they are about.
 */
export function fileProblems(
  problems: readonly string[],
  input: UserInput,
  errors: FieldErrors = {},
): FieldErrors {
  const dirs = Object.keys(input.permissions ?? {}).sort((a, b) => b.length - a.length);
  for (const problem of problems) {
    const direct = /^([a-z_]+): ([\s\S]*)$/.exec(problem);
    if (direct?.[1] && direct[2] !== undefined && DIRECT_FIELDS.has(direct[1])) {
      addError(errors, direct[1] as FormField, direct[2]);
      continue;
    }
    const filter = /^filters\.(allowed_ip|denied_ip)(?:\.(\d+))?: ([\s\S]*)$/.exec(problem);
    if (filter?.[1] && filter[3] !== undefined) {
      const field = filter[1] as 'allowed_ip' | 'denied_ip';
      const entry =
        filter[2] === undefined ? undefined : input.filters?.[field]?.[Number(filter[2])];
      addError(errors, field, entry === undefined ? filter[3] : `"${entry}": ${filter[3]}`);
      continue;
    }
    if (problem.startsWith('permissions: ')) {
      addError(errors, 'permissions_root', problem.slice('permissions: '.length));
      continue;
    }
    if (problem.startsWith('permissions.')) {
      const rest = problem.slice('permissions.'.length);
      const dir = dirs.find((d) => rest.startsWith(`${d}:`) || rest.startsWith(`${d}.`));
      const message = dir === undefined ? rest : rest.slice(rest.indexOf(': ', dir.length) + 2);
      if (dir === '/') addError(errors, 'permissions_root', message);
      else addError(errors, 'permissions_dirs', dir === undefined ? rest : `"${dir}": ${message}`);
      continue;
    }
    if (/password or at least a public.key/.test(problem)) {
      addError(errors, 'password', problem);
      continue;
    }
    const storageField = storageProblem(problem);
    if (storageField) {
      addError(errors, ...storageField);
      continue;
    }
    addError(errors, '_form', problem);
  }
  return errors;
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.values(errors).some((list) => list && list.length > 0);
}

/** `/dir: perm1, perm2; /sub: perm` for a list of users. */
export function permissionSummary(permissions: User['permissions']): string {
  return Object.entries(permissions)
    .map(([dir, perms]) => `${dir}: ${perms.join(', ')}`)
    .join('; ');
}
