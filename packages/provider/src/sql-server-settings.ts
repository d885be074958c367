import type { ConnectionOptions } from 'node:tls';
import { ProviderError } from './errors.js';

/** How to reach a PostgreSQL or MySQL server: the `data_provider` keys of the spec. */
export interface SqlServerSettings {
  readonly host?: string;
  readonly port?: number;
  readonly username?: string;
  readonly password?: string;
  /** The database name. */
  readonly name: string;
  /**
   * 0 no TLS; 1 TLS required; 2 verify-ca (PostgreSQL) or skip-verify
   * (MySQL); 3 verify-full (PostgreSQL) or preferred (MySQL).
   */
  readonly sslmode?: 0 | 1 | 2 | 3;
  /** When not empty, used instead of the keys above. */
  readonly connectionString?: string;
  /** The most connections open at once; 0 for the driver's default (10). */
  readonly poolSize?: number;
}

function badConnectionString(why: string): ProviderError {
  return new ProviderError('validation', `connection_string: ${why}`);
}

/** The TLS options of a PostgreSQL sslmode, by number or libpq name. */
export function postgresTls(mode: number | string): false | ConnectionOptions {
  switch (mode) {
    case 0:
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 1:
    case 'require':
      return { rejectUnauthorized: false };
    case 2:
    case 'verify-ca':
      // the chain is verified, not the host name
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 3:
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      throw badConnectionString(`unknown sslmode ${JSON.stringify(mode)}`);
  }
}

export interface PostgresConnection {
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly connectionString?: string;
  readonly ssl?: false | ConnectionOptions;
}

/**
 * What the pg driver needs. A connection string is a URL
 * (`postgres://user@host/db`) or libpq's `key=value` form
 * (`host=h port=5432 dbname=db user=u sslmode=require`), as the reference
 * server takes.
 */
export function postgresConnection(settings: SqlServerSettings): PostgresConnection {
  const cs = settings.connectionString?.trim() ?? '';
  if (/^postgres(ql)?:\/\//.test(cs)) return { connectionString: cs };
  if (cs !== '') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of parseKeywordValues(cs)) {
      if (key === 'host' || key === 'password') out[key] = value;
      else if (key === 'user') out.user = value;
      else if (key === 'dbname') out.database = value;
      else if (key === 'port') out.port = parsePort(value);
      else if (key === 'sslmode') out.ssl = postgresTls(value);
      else if (key !== 'connect_timeout' && key !== 'application_name') {
        throw badConnectionString(`unsupported key ${JSON.stringify(key)}`);
      }
    }
    return out as PostgresConnection;
  }
  return {
    host: settings.host || '127.0.0.1',
    port: settings.port || 5432,
    user: settings.username || undefined,
    password: settings.password || undefined,
    database: settings.name,
    ssl: postgresTls(settings.sslmode ?? 0),
  };
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : 0;
  if (port < 1 || port > 65535) throw badConnectionString(`bad port ${JSON.stringify(text)}`);
  return port;
}

/** libpq's `key=value key='quoted value'` pairs. */
function parseKeywordValues(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  // a value is quoted whole, or has no quote nor space
  const pattern = /\s*([a-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|([^\s']*))(?=\s|$)/gy;
  let match: RegExpExecArray | null = pattern.exec(text);
  let end = 0;
  while (match) {
    const [, key = '', quoted, bare] = match;
    pairs.push([key, quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '')]);
    end = pattern.lastIndex;
    match = pattern.exec(text);
  }
  if (text.slice(end).trim() !== '') throw badConnectionString('not a URL nor key=value pairs');
  return pairs;
}

/** MySQL's TLS: a fixed choice, or `preferred` (TLS when the server offers it). */
export type MysqlTls = false | { readonly rejectUnauthorized: boolean } | 'preferred';

export function mysqlTls(mode: number | string): MysqlTls {
  switch (mode) {
    case 0:
    case 'false':
      return false;
    case 1:
    case 'true':
      return { rejectUnauthorized: true };
    case 2:
    case 'skip-verify':
      return { rejectUnauthorized: false };
    case 3:
    case 'preferred':
      return 'preferred';
    default:
      throw badConnectionString(`unknown tls mode ${JSON.stringify(mode)}`);
  }
}

export interface MysqlConnection {
  readonly host?: string;
  readonly port?: number;
  readonly socketPath?: string;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly tls: MysqlTls;
}

/**
 * What the mysql2 driver needs. A connection string is a URL
 * (`mysql://user:pass@host:3306/db`) or the Go driver's DSN that the
 * reference server takes (`user:pass@tcp(host:3306)/db?tls=skip-verify`).
 */
export function mysqlConnection(settings: SqlServerSettings): MysqlConnection {
  const cs = settings.connectionString?.trim() ?? '';
  if (/^(mysql|mariadb):\/\//.test(cs)) {
    const url = new URL(cs);
    return {
      // an IPv6 address comes in brackets
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : 3306,
      user: decodeURIComponent(url.username) || undefined,
      password: decodeURIComponent(url.password) || undefined,
      database: decodeURIComponent(url.pathname.slice(1)) || undefined,
      tls: mysqlTls(url.searchParams.get('tls') ?? 0),
    };
  }
  if (cs !== '') return parseGoMysqlDsn(cs);
  return {
    host: settings.host || '127.0.0.1',
    port: settings.port || 3306,
    user: settings.username || undefined,
    password: settings.password || undefined,
    database: settings.name,
    tls: mysqlTls(settings.sslmode ?? 0),
  };
}

function parseGoMysqlDsn(dsn: string): MysqlConnection {
  const match = /^(?:([^:@]*)(?::(.*))?@)?(?:(\w+)(?:\(([^)]*)\))?)?\/([^?]*)(?:\?(.*))?$/.exec(
    dsn,
  );
  if (!match) throw badConnectionString('not a URL nor a DSN such as user:pass@tcp(host:3306)/db');
  const [, user, password, net = 'tcp', address = '', database, query = ''] = match;
  const params = new URLSearchParams(query);
  const common = {
    user: user || undefined,
    password: password || undefined,
    database: database || undefined,
    tls: mysqlTls(params.get('tls') ?? 0),
  };
  if (net === 'unix') return { ...common, socketPath: address };
  if (net !== 'tcp') throw badConnectionString(`unsupported network ${JSON.stringify(net)}`);
  const hostPort = /^(?:\[([^\]]*)\]|([^:[\]]*))(?::([^:]*))?$/.exec(address);
  if (!hostPort) throw badConnectionString(`bad address ${JSON.stringify(address)}`);
  const [, ipv6, name, port] = hostPort;
  return {
    ...common,
    host: ipv6 || name || '127.0.0.1',
    port: port === undefined ? 3306 : parsePort(port),
  };
}
