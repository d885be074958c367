import type { Generated, Insertable, Selectable } from 'kysely';
import { storedFilesystem } from './filesystem.js';
import type { User } from './user.js';

/** The `users` table; JSON columns are stored as text. */
export interface UsersTable {
  id: Generated<number>;
  username: string;
  password: string | null;
  public_keys: string | null;
  home_dir: string;
  uid: number;
  gid: number;
  max_sessions: number;
  quota_size: number;
  quota_files: number;
  permissions: string;
  used_quota_size: number;
  used_quota_files: number;
  last_quota_update: number;
  upload_bandwidth: number;
  download_bandwidth: number;
  expiration_date: number;
  last_login: number;
  status: number;
  filters: string | null;
  filesystem: string | null;
}

export interface Database {
  users: UsersTable;
  schema_migrations: { version: string; applied_at: number };
}

function parseJson<T>(text: string | null, fallback: T): T {
  return text ? (JSON.parse(text) as T) : fallback;
}

export function rowToUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    status: row.status === 1 ? 1 : 0,
    username: row.username,
    expiration_date: Number(row.expiration_date),
    password: row.password ?? '',
    public_keys: parseJson(row.public_keys, []),
    home_dir: row.home_dir,
    uid: row.uid,
    gid: row.gid,
    max_sessions: row.max_sessions,
    quota_size: Number(row.quota_size),
    quota_files: row.quota_files,
    permissions: parseJson(row.permissions, {}),
    used_quota_size: Number(row.used_quota_size),
    used_quota_files: row.used_quota_files,
    last_quota_update: Number(row.last_quota_update),
    upload_bandwidth: row.upload_bandwidth,
    download_bandwidth: row.download_bandwidth,
    last_login: Number(row.last_login),
    filters: parseJson(row.filters, { allowed_ip: [], denied_ip: [] }),
    filesystem: storedFilesystem(parseJson(row.filesystem, null)),
  };
}

export function userToRow(user: Omit<User, 'id'>): Insertable<UsersTable> {
  return {
    ...user,
    public_keys: JSON.stringify(user.public_keys),
    permissions: JSON.stringify(user.permissions),
    filters: JSON.stringify(user.filters),
    filesystem: JSON.stringify(user.filesystem),
  };
}
