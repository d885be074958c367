import { execFileSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openSqliteProvider } from '@sftpgo/provider';
import { loadHostKeys, SftpServer } from '@sftpgo/sftpd';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import ssh2 from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrationsDir } from './fixtures.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;

beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.remove());

describe('loadHostKeys', () => {
  it('generates an RSA and an Ed25519 key, private to the owner, and reuses them', async () => {
    const first = await loadHostKeys(tmp.path, []);
    expect(first).toHaveLength(2);
    for (const file of ['id_rsa', 'id_ed25519']) {
      expect((await stat(join(tmp.path, file))).mode & 0o777).toBe(0o600);
    }
    const types = first.map((k) => (ssh2.utils.parseKey(k) as ssh2.ParsedKey).type);
    expect(types).toEqual(['ssh-rsa', 'ssh-ed25519']);
    const again = await loadHostKeys(tmp.path, []);
    expect(again.map((k) => k.toString())).toEqual(first.map((k) => k.toString()));
  });

  it.runIf(hasCommand('ssh-keygen'))('writes an Ed25519 key that OpenSSH reads', async () => {
    await loadHostKeys(tmp.path, []);
    const pub = execFileSync('ssh-keygen', ['-y', '-f', join(tmp.path, 'id_ed25519')], {
      encoding: 'utf8',
    });
    expect(pub).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[\w+/]+/);
  });

  it('names a configured key that cannot be read', async () => {
    await expect(loadHostKeys(tmp.path, ['missing_key'])).rejects.toThrow(
      /cannot read host key "missing_key"/,
    );
  });

  it('serves clients that accept only Ed25519 host keys', async () => {
    const provider = await openSqliteProvider({ path: join(tmp.path, 'db'), migrationsDir });
    await provider.addUser({
      username: 'u',
      password: 'p',
      home_dir: join(tmp.path, 'u'),
      permissions: { '/': ['*'] },
    });
    const server = new SftpServer({ hostKeys: await loadHostKeys(tmp.path, []), users: provider });
    try {
      const port = (await server.listen(0, '127.0.0.1')).port;
      const hostKeyType = await new Promise<string>((resolve, reject) => {
        const client = new ssh2.Client();
        client.once('handshake', (negotiated) => resolve(negotiated.serverHostKey));
        client.once('ready', () => client.end()).once('error', reject);
        client.connect({
          host: '127.0.0.1',
          port,
          username: 'u',
          password: 'p',
          algorithms: { serverHostKey: ['ssh-ed25519'] },
        });
      });
      expect(hostKeyType).toBe('ssh-ed25519');
    } finally {
      await server.close();
      await provider.close();
    }
  });
});
