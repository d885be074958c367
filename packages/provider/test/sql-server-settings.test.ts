import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { mysqlConnection, ProviderError, postgresConnection } from '@sftpgo/provider';
import { describe, expect, it } from 'vitest';
import { mysqlTls, postgresTls } from '../src/sql-server-settings.js';

/** A certificate issued to db.internal, shown by a server reached under another name. */
const certificate = {
  subject: { CN: 'db.internal' },
  subjectaltname: 'DNS:db.internal',
} as unknown as PeerCertificate;

/** The error `run` throws; fails the test when it throws nothing. */
function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error, got none');
}

describe('postgresConnection', () => {
  it('builds the connection from the data_provider keys', () => {
    expect(
      postgresConnection({
        host: 'db.example',
        port: 6543,
        username: 'sftpgo',
        password: 's3cret',
        name: 'accounts',
        sslmode: 0,
      }),
    ).toEqual({
      host: 'db.example',
      port: 6543,
      user: 'sftpgo',
      password: 's3cret',
      database: 'accounts',
      ssl: false,
    });
  });

  it('defaults to 127.0.0.1:5432 without user, password or TLS', () => {
    const conn = postgresConnection({ host: '', port: 0, username: '', password: '', name: 'db' });
    expect(conn).toMatchObject({ host: '127.0.0.1', port: 5432, database: 'db', ssl: false });
    expect(conn.user).toBeUndefined();
    expect(conn.password).toBeUndefined();
  });

  it('maps sslmode 0 to no TLS and 1 to TLS without verification', () => {
    expect(postgresConnection({ name: 'db', sslmode: 0 }).ssl).toBe(false);
    expect(postgresConnection({ name: 'db', sslmode: 1 }).ssl).toEqual({
      rejectUnauthorized: false,
    });
  });

  it('maps sslmode 2 (verify-ca) to a verified chain whatever the host name', () => {
    const ssl = postgresConnection({ name: 'db', sslmode: 2 }).ssl;
    if (!ssl) throw new Error('sslmode 2 must enable TLS');
    expect(ssl.rejectUnauthorized).toBe(true);
    // Node's own check refuses the name mismatch; verify-ca accepts it.
    expect(checkServerIdentity('other.example', certificate)).toBeInstanceOf(Error);
    expect(ssl.checkServerIdentity).toBeTypeOf('function');
    expect(ssl.checkServerIdentity?.('other.example', certificate)).toBeUndefined();
  });

  it('maps sslmode 3 (verify-full) to a verified chain and host name', () => {
    const ssl = postgresConnection({ name: 'db', sslmode: 3 }).ssl;
    // no checkServerIdentity: Node's default one checks the name
    expect(ssl).toEqual({ rejectUnauthorized: true });
  });

  it('passes a URL connection string through, ignoring the other keys', () => {
    for (const cs of [
      'postgres://u:p@db.example:6543/sftpgo?sslmode=require',
      'postgresql://u@db.example/sftpgo',
    ]) {
      expect(
        postgresConnection({ host: 'ignored', name: 'ignored', sslmode: 3, connectionString: cs }),
      ).toEqual({ connectionString: cs });
    }
  });

  it("reads libpq's key=value form, with quoted values", () => {
    expect(
      postgresConnection({
        host: 'ignored',
        name: 'ignored',
        connectionString:
          "host=db port=6543 dbname=sftpgo user=u password='p w' sslmode=verify-full",
      }),
    ).toEqual({
      host: 'db',
      port: 6543,
      database: 'sftpgo',
      user: 'u',
      password: 'p w',
      ssl: { rejectUnauthorized: true },
    });
  });

  it('reads an escaped quote in a quoted value and ignores connect_timeout', () => {
    expect(
      postgresConnection({
        name: 'ignored',
        connectionString: "host=db password='it\\'s' connect_timeout=5 sslmode=require",
      }),
    ).toEqual({ host: 'db', password: "it's", ssl: { rejectUnauthorized: false } });
  });

  it('refuses an unsupported key, naming it', () => {
    const err = thrown(() =>
      postgresConnection({ name: 'db', connectionString: 'host=db target_session_attrs=any' }),
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).code).toBe('validation');
    expect(err.message).toContain('target_session_attrs');
  });

  it('refuses a string that is neither a URL nor key=value pairs', () => {
    for (const cs of ['just some garbage', 'mysql://db/sftpgo', 'host=db and more']) {
      const err = thrown(() => postgresConnection({ name: 'db', connectionString: cs }));
      expect(err, cs).toBeInstanceOf(ProviderError);
      expect(err.message, cs).toMatch(/^connection_string: /);
    }
  });

  it('refuses an unknown sslmode in a connection string', () => {
    const err = thrown(() =>
      postgresConnection({ name: 'db', connectionString: 'host=db sslmode=sometimes' }),
    );
    expect(err.message).toContain('sometimes');
  });
});

describe('postgresTls', () => {
  it('takes the libpq names', () => {
    expect(postgresTls('disable')).toBe(false);
    expect(postgresTls('prefer')).toBe(false);
    expect(postgresTls('require')).toEqual({ rejectUnauthorized: false });
    expect(postgresTls('verify-full')).toEqual({ rejectUnauthorized: true });
    const verifyCa = postgresTls('verify-ca');
    if (!verifyCa) throw new Error('verify-ca must enable TLS');
    expect(verifyCa.rejectUnauthorized).toBe(true);
    expect(verifyCa.checkServerIdentity).toBeTypeOf('function');
    expect(verifyCa.checkServerIdentity?.('x', certificate)).toBeUndefined();
  });

  it('refuses a mode out of range', () => {
    expect(() => postgresTls(4)).toThrow(ProviderError);
  });
});

describe('mysqlConnection', () => {
  it('builds the connection from the data_provider keys', () => {
    expect(
      mysqlConnection({
        host: 'db.example',
        port: 3307,
        username: 'sftpgo',
        password: 's3cret',
        name: 'accounts',
        sslmode: 1,
      }),
    ).toEqual({
      host: 'db.example',
      port: 3307,
      user: 'sftpgo',
      password: 's3cret',
      database: 'accounts',
      tls: { rejectUnauthorized: true },
    });
  });

  it('defaults to 127.0.0.1:3306 without user, password or TLS', () => {
    const conn = mysqlConnection({ host: '', port: 0, username: '', password: '', name: 'db' });
    expect(conn).toMatchObject({ host: '127.0.0.1', port: 3306, database: 'db', tls: false });
    expect(conn.user).toBeUndefined();
    expect(conn.password).toBeUndefined();
  });

  it('maps sslmode 0..3 to no TLS, verified, skip-verify and preferred', () => {
    expect(mysqlConnection({ name: 'db', sslmode: 0 }).tls).toBe(false);
    expect(mysqlConnection({ name: 'db', sslmode: 1 }).tls).toEqual({ rejectUnauthorized: true });
    expect(mysqlConnection({ name: 'db', sslmode: 2 }).tls).toEqual({
      rejectUnauthorized: false,
    });
    expect(mysqlConnection({ name: 'db', sslmode: 3 }).tls).toBe('preferred');
  });

  it('reads a URL, decoding its parts, with the tls parameter', () => {
    expect(
      mysqlConnection({
        host: 'ignored',
        name: 'ignored',
        sslmode: 1,
        connectionString: 'mysql://us%40r:p%3Ass@db.example:3307/sftp%20go?tls=skip-verify',
      }),
    ).toEqual({
      host: 'db.example',
      port: 3307,
      user: 'us@r',
      password: 'p:ss',
      database: 'sftp go',
      tls: { rejectUnauthorized: false },
    });
    expect(mysqlConnection({ name: 'x', connectionString: 'mariadb://db/sftpgo' })).toEqual({
      host: 'db',
      port: 3306,
      user: undefined,
      password: undefined,
      database: 'sftpgo',
      tls: false,
    });
  });

  it("reads the Go driver's DSN over TCP", () => {
    expect(
      mysqlConnection({
        host: 'ignored',
        name: 'ignored',
        connectionString: 'u:p@tcp(db.example:3307)/sftpgo?tls=skip-verify',
      }),
    ).toEqual({
      user: 'u',
      password: 'p',
      database: 'sftpgo',
      host: 'db.example',
      port: 3307,
      tls: { rejectUnauthorized: false },
    });
  });

  it('keeps an @ of the password in a DSN', () => {
    expect(
      mysqlConnection({ name: 'x', connectionString: 'u:p@ss@tcp(db)/sftpgo?tls=true' }),
    ).toMatchObject({
      user: 'u',
      password: 'p@ss',
      host: 'db',
      port: 3306,
      tls: { rejectUnauthorized: true },
    });
  });

  it('reads a DSN over a unix socket', () => {
    expect(
      mysqlConnection({ name: 'x', connectionString: 'u@unix(/run/mysqld/mysqld.sock)/sftpgo' }),
    ).toEqual({
      user: 'u',
      password: undefined,
      database: 'sftpgo',
      socketPath: '/run/mysqld/mysqld.sock',
      tls: false,
    });
  });

  it('reads a DSN of a database name alone as the local server', () => {
    expect(mysqlConnection({ name: 'x', connectionString: '/sftpgo' })).toEqual({
      user: undefined,
      password: undefined,
      database: 'sftpgo',
      host: '127.0.0.1',
      port: 3306,
      tls: false,
    });
  });

  it('reads an IPv6 address in brackets', () => {
    expect(
      mysqlConnection({ name: 'x', connectionString: 'u:p@tcp([::1]:3306)/sftpgo' }),
    ).toMatchObject({ host: '::1', port: 3306 });
    expect(
      mysqlConnection({ name: 'x', connectionString: 'u:p@tcp([fd00::5]:3310)/sftpgo' }),
    ).toMatchObject({ host: 'fd00::5', port: 3310 });
  });

  it('refuses an unknown tls value, naming it', () => {
    for (const cs of ['u:p@tcp(db:3306)/sftpgo?tls=maybe', 'mysql://db/sftpgo?tls=maybe']) {
      const err = thrown(() => mysqlConnection({ name: 'x', connectionString: cs }));
      expect(err, cs).toBeInstanceOf(ProviderError);
      expect(err.message, cs).toContain('maybe');
    }
  });

  it('refuses garbage and an unsupported network', () => {
    const garbage = thrown(() => mysqlConnection({ name: 'x', connectionString: 'garbage' }));
    expect(garbage).toBeInstanceOf(ProviderError);
    expect(garbage.message).toMatch(/^connection_string: /);
    const udp = thrown(() => mysqlConnection({ name: 'x', connectionString: 'u@udp(db)/sftpgo' }));
    expect(udp.message).toContain('udp');
  });
});

describe('mysqlTls', () => {
  it("takes the Go driver's names and refuses others", () => {
    expect(mysqlTls('false')).toBe(false);
    expect(mysqlTls('true')).toEqual({ rejectUnauthorized: true });
    expect(mysqlTls('skip-verify')).toEqual({ rejectUnauthorized: false });
    expect(mysqlTls('preferred')).toBe('preferred');
    expect(mysqlTls(3)).toBe('preferred');
    expect(() => mysqlTls('1')).toThrow(ProviderError);
  });
});
