import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpOptions } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

describe.runIf(hasCommand('sftp') && hasCommand('ssh-keygen'))('public key login', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  const key = (name: string) => join(tmp.path, 'keys', name);

  beforeAll(async () => {
    tmp = await makeTempDir();
    await mkdir(join(tmp.path, 'keys'));
    for (const [name, type] of [
      ['ed25519', 'ed25519'],
      ['rsa', 'rsa'],
      ['ecdsa', 'ecdsa'],
      ['stranger', 'ed25519'],
    ]) {
      execFileSync('ssh-keygen', [
        '-q',
        '-t',
        type!,
        '-N',
        '',
        '-C',
        `${name}@test`,
        '-f',
        key(name!),
      ]);
    }
    await writeFile(join(tmp.path, 'banner.txt'), 'Authorised users only.\n');
    const started = await startLoopbackServer(tmp.path, { login_banner_file: 'banner.txt' });
    server = started.server;
    const publicKeys = await Promise.all(
      ['ed25519', 'rsa', 'ecdsa'].map((n) => readFile(`${key(n)}.pub`, 'utf8')),
    );
    await addUser(started.api, {
      username: 'keyed',
      public_keys: publicKeys.map((k, i) => (i === 0 ? `no-pty ${k.trim()}` : k.trim())),
      home_dir: join(tmp.path, 'homes', 'keyed'),
      permissions: { '/': ['*'] },
    });
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await tmp?.remove();
  });

  function sftpWithKey(name: string) {
    return spawnSync(
      'sftp',
      [
        ...sftpOptions(server.sshPort),
        '-i',
        key(name),
        '-oIdentitiesOnly=yes',
        '-oPreferredAuthentications=publickey',
        '-b',
        '-',
        'keyed@127.0.0.1',
      ],
      { input: 'pwd\n', encoding: 'utf8', timeout: 30_000 },
    );
  }

  it('logs in with each listed key type (Ed25519, RSA, ECDSA)', async () => {
    for (const name of ['ed25519', 'rsa', 'ecdsa']) {
      const run = sftpWithKey(name);
      expect(run.stdout, run.stderr).toContain('Remote working directory: /');
      expect(run.status).toBe(0);
    }
    const line = await server.waitForLog(
      (l) =>
        String(l.message).includes('logged in with: "public_key:') &&
        l.username === 'keyed' &&
        l.login_type === 'public_key',
    );
    expect(line.message).toContain(`logged in with: "public_key:${line.fingerprint}"`);
    // the fingerprint OpenSSH prints for the key that was used
    const printed = execFileSync('ssh-keygen', ['-lf', `${key('ed25519')}.pub`], {
      encoding: 'utf8',
    });
    expect(printed).toContain(String(line.fingerprint));
    expect(line.fingerprint).toMatch(/^SHA256:[\w+/]{43}$/);
  });

  it('shows the login banner file before authentication', () => {
    expect(sftpWithKey('ed25519').stderr).toContain('Authorised users only.');
    expect(sftpWithKey('stranger').stderr).toContain('Authorised users only.');
  });

  it('refuses a key the account does not list', () => {
    const run = sftpWithKey('stranger');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Permission denied (publickey,password)');
  });
});
