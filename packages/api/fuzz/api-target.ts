// The API under fuzzing, set up as the server sets it up: over a real SQLite
// store, with account secrets, a backups directory and live connections,
// listening on the loopback.
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConnectionRegistry, createApi } from '@sftpgo/api';
import {
  AccountSecrets,
  type DataProvider,
  ManagedProvider,
  openSqliteProvider,
} from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';

const migrationsDir = fileURLToPath(new URL('../../../sql/sqlite/', import.meta.url));

export const VERSION = { version: '0.0.0-fuzz', build_date: '', commit_hash: 'fuzz' };

/** The ids of the live connections the registry pretends to have. */
export const CONNECTION_IDS = ['fuzz-conn-1', 'fuzz-conn-2'] as const;

/** Two connections that never close: closing one answers as if it did. */
const connections: ConnectionRegistry = {
  listConnections: () =>
    CONNECTION_IDS.map((id) => ({
      username: 'known-0',
      connection_id: id,
      client_version: 'SSH-2.0-fuzz',
      remote_address: '127.0.0.1:2222',
      connection_time: 0,
      last_activity: 0,
      protocol: 'SFTP',
      ssh_command: '',
      active_transfers: [],
    })),
  closeConnection: async (id) => (CONNECTION_IDS as readonly string[]).includes(id),
};

export interface ApiTarget {
  /** `http://127.0.0.1:<port>/api/v1`. */
  readonly base: string;
  /** The store itself, read to check what the requests did. */
  readonly store: DataProvider;
  /** The provider the API writes through. */
  readonly provider: DataProvider;
  readonly root: string;
  readonly backupsPath: string;
  /** Where the users' home dirs are: never created, so that quota scans find nothing. */
  readonly homesRoot: string;
  /** What the API reported through `onInternalError`: its 500s and failed quota scans. */
  readonly internalErrors: unknown[];
  close(): Promise<void>;
}

export async function startApiTarget(): Promise<ApiTarget> {
  const tmp = await makeTempDir('sftpgo-api-fuzz-');
  const root = tmp.path;
  // each in its own directory, so that what appears beside the backups directory is a request's doing
  await mkdir(join(root, 'db'));
  await mkdir(join(root, 'secrets', 'credentials'), { recursive: true });
  const store = await openSqliteProvider({ path: join(root, 'db', 'api.db'), migrationsDir });
  const homesRoot = join(root, 'homes');
  const secrets = new AccountSecrets({
    keyFile: join(root, 'secrets', 'sftpgo-secrets.key'),
    credentialsDir: join(root, 'secrets', 'credentials'),
  });
  const provider = new ManagedProvider(store, {
    manageUsers: true,
    usersBaseDir: homesRoot,
    secrets,
  });
  const backupsPath = join(root, 'backups');
  const internalErrors: unknown[] = [];
  const app = createApi({
    provider,
    version: VERSION,
    connections,
    backupsPath,
    onInternalError: (err) => internalErrors.push(err),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  const scanning = async () => {
    const res = await fetch(`${base}/quota_scan`);
    return ((await res.json()) as unknown[]).length > 0;
  };
  return {
    base,
    store,
    provider,
    root,
    backupsPath,
    homesRoot,
    internalErrors,
    async close() {
      // a scan that ends after the store is closed would fail for that reason alone
      for (let i = 0; i < 100 && (await scanning().catch(() => false)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await provider.close();
      await tmp.remove();
    },
  };
}
