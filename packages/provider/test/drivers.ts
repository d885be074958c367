// The five data providers, each over a store of its own that a test creates
// and drops: the contract suite runs the same tests on every one.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type DataProvider,
  openBoltProvider,
  openMemoryProvider,
  openMysqlProvider,
  openPostgresProvider,
  openSqliteProvider,
} from '@sftpgo/provider';
import {
  createTestDatabase,
  type DatabaseServer,
  databaseServerUrl,
  makeTempDir,
} from '@sftpgo/test-utils';

export const sqlDir = (driver: string): string =>
  fileURLToPath(new URL(`../../../sql/${driver}/`, import.meta.url));

export interface OpenOptions {
  /** Reach the database server on this loopback port instead (a proxy). */
  readonly port?: number;
  readonly onApplied?: (version: string) => void;
}

/** An empty store of one driver; `open` may be called again for a second instance. */
export interface Store {
  open(options?: OpenOptions): Promise<DataProvider>;
  /** The database server's port, for a proxy in front of it. */
  readonly serverPort?: number;
  drop(): Promise<void>;
}

export interface Driver {
  readonly name: string;
  /** Why this driver cannot run here; the suite says so and skips it. */
  readonly skipReason?: string;
  /** Two instances opened on one store see each other's writes. */
  readonly shared: boolean;
  /** Schema scripts are applied when opening. */
  readonly migrates: boolean;
  createStore(): Promise<Store>;
}

function networkDriver(server: DatabaseServer): Driver {
  const { url, skipReason } = databaseServerUrl(server);
  const openProvider = server === 'postgresql' ? openPostgresProvider : openMysqlProvider;
  return {
    name: server,
    skipReason,
    shared: true,
    migrates: true,
    async createStore() {
      const db = await createTestDatabase(server, url as URL);
      return {
        serverPort: db.port,
        open: (o = {}) =>
          openProvider({
            server: { ...db, port: o.port ?? db.port },
            migrationsDir: sqlDir(server),
            onApplied: o.onApplied,
          }),
        drop: () => db.drop(),
      };
    },
  };
}

const sqlite: Driver = {
  name: 'sqlite',
  shared: true,
  migrates: true,
  async createStore() {
    const tmp = await makeTempDir();
    const path = join(tmp.path, 'sftpgo.db');
    return {
      open: (o = {}) =>
        openSqliteProvider({ path, migrationsDir: sqlDir('sqlite'), onApplied: o.onApplied }),
      drop: () => tmp.remove(),
    };
  },
};

const memory: Driver = {
  name: 'memory',
  shared: false,
  migrates: false,
  async createStore() {
    return { open: () => openMemoryProvider(), drop: async () => undefined };
  },
};

const bolt: Driver = {
  name: 'bolt',
  shared: true,
  migrates: false,
  async createStore() {
    const tmp = await makeTempDir();
    const path = join(tmp.path, 'sftpgo.bolt');
    return { open: () => openBoltProvider({ path }), drop: () => tmp.remove() };
  },
};

export const DRIVERS: readonly Driver[] = [
  sqlite,
  memory,
  bolt,
  networkDriver('postgresql'),
  networkDriver('mysql'),
];
