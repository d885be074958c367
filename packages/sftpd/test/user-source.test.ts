import { execFileSync, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  accountUser,
  type Credential,
  generateHostKeys,
  SftpServer,
  type UserSource,
} from '@sftpgo/sftpd';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { MemoryFs } from '@sftpgo/vfs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Runs OpenSSH's sftp in batch mode; `auth` picks the password (through sshpass) or a key. */
function sftp(
  port: number,
  user: string,
  batch: string,
  cwd: string,
  auth: { password: string } | { key: string },
): Promise<{ code: number | null; output: string }> {
  const options = [
    '-F',
    '/dev/null',
    '-oStrictHostKeyChecking=no',
    '-oUserKnownHostsFile=/dev/null',
    '-P',
    String(port),
  ];
  const [program, args, env] =
    'password' in auth
      ? [
          'sshpass',
          ['-e', 'sftp', ...options, '-oBatchMode=no', '-oPreferredAuthentications=password'],
          { ...process.env, SSHPASS: auth.password },
        ]
      : ['sftp', [...options, '-oIdentitiesOnly=yes', '-i', auth.key], process.env];
  // -b after -oBatchMode=no: ssh keeps the first value of an option, and -b sets it
  const child = spawn(program, [...args, '-b', '-', `${user}@127.0.0.1`], { cwd, env });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  child.stdin.end(batch);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

describe.runIf(hasCommand('sftp') && hasCommand('sshpass') && hasCommand('ssh-keygen'))(
  'an application bringing its own users and storage',
  () => {
    let tmp: Awaited<ReturnType<typeof makeTempDir>>;
    let server: SftpServer;
    let port: number;
    let keyLine: string;
    const asked: string[] = [];
    const files = new MemoryFs();

    beforeAll(async () => {
      tmp = await makeTempDir();
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(tmp.path, 'key')]);
      keyLine = (await readFile(join(tmp.path, 'key.pub'), 'utf8'))
        .split(' ')
        .slice(0, 2)
        .join(' ');
      await writeFile(join(tmp.path, 'up.txt'), 'from the client\n');
      // the application's own accounts: no data provider, no stored hashes
      const accounts = new Map([['erin', { password: 'erin-pass', keys: [keyLine] }]]);
      const users: UserSource = {
        async getUserByUsername(name) {
          return accounts.has(name) ? accountUser({ username: name, home_dir: '/' }) : undefined;
        },
        async authenticate(name, credential: Credential) {
          asked.push(`${name} ${credential.type}`);
          const account = accounts.get(name);
          const ok =
            credential.type === 'password'
              ? credential.password === account?.password
              : (account?.keys.includes(credential.publicKey) ?? false);
          return ok ? this.getUserByUsername(name) : undefined;
        },
      };
      server = new SftpServer({
        hostKeys: generateHostKeys(),
        users,
        openStorage: async () => files,
      });
      port = (await server.listen(0, '127.0.0.1')).port;
    });

    afterAll(async () => {
      await server?.close();
      await tmp?.remove();
    });

    it('logs in by its password check and serves the storage it gives', async () => {
      const session = await sftp(port, 'erin', 'put up.txt\nls -1\n', tmp.path, {
        password: 'erin-pass',
      });
      expect(session.code, session.output).toBe(0);
      expect(session.output).toMatch(/^up\.txt$/m);
      const stored = await files.stat('/up.txt');
      expect(stored.size).toBe('from the client\n'.length);
      expect(asked).toContain('erin password');
    });

    it('logs in by its key check, the signature checked by the server', async () => {
      const session = await sftp(port, 'erin', 'ls -1\n', tmp.path, { key: join(tmp.path, 'key') });
      expect(session.code, session.output).toBe(0);
      expect(asked).toContain('erin publickey');
    });

    it('refuses what its check refuses', async () => {
      const wrong = await sftp(port, 'erin', 'ls\n', tmp.path, { password: 'not-it' });
      expect(wrong.code).not.toBe(0);
      const nobody = await sftp(port, 'mallory', 'ls\n', tmp.path, { password: 'erin-pass' });
      expect(nobody.code).not.toBe(0);
    });
  },
);
