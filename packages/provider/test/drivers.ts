// The five data providers, each over a store of its own that a test creates
// and drops: the contract suite runs the same tests on every one.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type DataProvider,
  openBoltProvider,
  openMemoryProvider,
  openMysqlProvider,
  openPostgresProvider,
  openSqliteProvider,
  type SqlServerSettings,
} from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import mysql from 'mysql2/promise';
import pg from 'pg';

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

const uniqueName = (): string => `sftpgo_contract_${randomBytes(5).toString('hex')}`;

function serverSettings(url: URL, database: string, port?: number): SqlServerSettings {
  return {
    host: url.hostname,
    port: port ?? Number(url.port),
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    name: database,
  };
}

/** A URL of the environment, or why its driver is skipped; CI must have it. */
function serverUrl(variable: string): { url?: URL; skipReason?: string } {
  const value = process.env[variable];
  if (value) return { url: new URL(value) };
  if (process.env.CI === 'true') throw new Error(`${variable} must be set in CI`);
  return { skipReason: `${variable} is not set` };
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

const postgresUrl = serverUrl('SFTPGO_TEST_POSTGRES_URL');
const postgresql: Driver = {
  name: 'postgresql',
  skipReason: postgresUrl.skipReason,
  shared: true,
  migrates: true,
  async createStore() {
    const url = postgresUrl.url as URL;
    const database = uniqueName();
    const admin = async (sql: string): Promise<void> => {
      const client = new pg.Client({ connectionString: url.href });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    await admin(`CREATE DATABASE ${database}`);
    return {
      serverPort: Number(url.port),
      open: (o = {}) =>
        openPostgresProvider({
          server: serverSettings(url, database, o.port),
          migrationsDir: sqlDir('postgresql'),
          onApplied: o.onApplied,
        }),
      drop: () => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
    };
  },
};

const mysqlUrl = serverUrl('SFTPGO_TEST_MYSQL_URL');
const mysqlDriver: Driver = {
  name: 'mysql',
  skipReason: mysqlUrl.skipReason,
  shared: true,
  migrates: true,
  async createStore() {
    const url = mysqlUrl.url as URL;
    const database = uniqueName();
    const admin = async (sql: string): Promise<void> => {
      const conn = await mysql.createConnection(url.href);
      try {
        await conn.query(sql);
      } finally {
        await conn.end();
      }
    };
    await admin(`CREATE DATABASE ${database}`);
    return {
      serverPort: Number(url.port),
      open: (o = {}) =>
        openMysqlProvider({
          server: serverSettings(url, database, o.port),
          migrationsDir: sqlDir('mysql'),
          onApplied: o.onApplied,
        }),
      drop: () => admin(`DROP DATABASE IF EXISTS ${database}`),
    };
  },
};

export const DRIVERS: readonly Driver[] = [sqlite, memory, bolt, postgresql, mysqlDriver];
