import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { openSqliteProvider } from '@sftpgo/provider';
import { Defender, type DefenderOptions, SftpServer } from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { hostKey, migrationsDir } from './fixtures.js';

const base: DefenderOptions = {
  scorePerFailure: 1,
  threshold: 3,
  banTimeMs: 60_000,
  observationMs: 10_000,
  allowList: [],
};

describe('Defender', () => {
  it('bans an address once its failures within the window reach the threshold', () => {
    const d = new Defender(base);
    expect(d.recordFailure('192.0.2.1', 0)).toBe(false);
    expect(d.recordFailure('192.0.2.1', 1000)).toBe(false);
    expect(d.isBanned('192.0.2.1', 1500)).toBe(false);
    expect(d.recordFailure('192.0.2.1', 2000)).toBe(true);
    expect(d.isBanned('192.0.2.1', 2001)).toBe(true);
    expect(d.isBanned('192.0.2.2', 2001)).toBe(false);
    expect(d.isBanned('192.0.2.1', 62_001)).toBe(false);
  });

  it('forgets failures older than the observation window', () => {
    const d = new Defender(base);
    d.recordFailure('192.0.2.1', 0);
    d.recordFailure('192.0.2.1', 1000);
    expect(d.recordFailure('192.0.2.1', 20_000)).toBe(false);
    expect(d.isBanned('192.0.2.1', 20_001)).toBe(false);
  });

  it('never bans the allow list', () => {
    const d = new Defender({ ...base, threshold: 1, allowList: ['192.0.2.0/24', '::1/128'] });
    expect(d.recordFailure('192.0.2.9', 0)).toBe(false);
    expect(d.recordFailure('::1', 0)).toBe(false);
    expect(d.recordFailure('198.51.100.1', 0)).toBe(true);
  });

  it('tracks a bounded number of addresses', () => {
    const d = new Defender({ ...base, threshold: 2, maxHosts: 2 });
    d.recordFailure('192.0.2.1', 0);
    d.recordFailure('192.0.2.2', 0);
    d.recordFailure('192.0.2.3', 0); // forgets .1
    expect(d.recordFailure('192.0.2.1', 1)).toBe(false);
  });
});

describe('SftpServer with a defender', () => {
  it('refuses a banned address before the SSH handshake', async () => {
    const tmp = await makeTempDir();
    const provider = await openSqliteProvider({
      path: join(tmp.path, 'db'),
      migrationsDir,
    });
    const server = new SftpServer({
      hostKeys: [hostKey],
      users: provider,
      defender: { ...base, threshold: 2 },
    });
    try {
      const port = (await server.listen(0, '127.0.0.1')).port;
      const failLogin = () =>
        new Promise<void>((resolve) => {
          const client = new ssh2.Client();
          client.on('error', () => resolve());
          client.connect({ host: '127.0.0.1', port, username: 'nobody', password: 'x' });
        });
      await failLogin();
      await failLogin();
      const socket = connectTcp(port, '127.0.0.1');
      const first = await Promise.race([
        once(socket, 'data').then(() => 'banner'),
        once(socket, 'close').then(() => 'closed'),
      ]);
      expect(first).toBe('closed');
    } finally {
      await server.close();
      await provider.close();
      await tmp.remove();
    }
  });
});
