import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  accountUser,
  type Credential,
  generateHostKeys,
  SftpServer,
  type UserSource,
} from '@sftpgo/sftpd';
import { hasCommand, makeTempDir, runSftpBatch } from '@sftpgo/test-utils';
import { MemoryFs } from '@sftpgo/vfs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
      const session = await runSftpBatch(
        port,
        'erin',
        {
          password: 'erin-pass',
        },
        'put up.txt\nls -1\n',
        tmp.path,
      );
      expect(session.code, session.output).toBe(0);
      expect(session.output).toMatch(/^up\.txt$/m);
      const stored = await files.stat('/up.txt');
      expect(stored.size).toBe('from the client\n'.length);
      expect(asked).toContain('erin password');
    });

    it('logs in by its key check, the signature checked by the server', async () => {
      const session = await runSftpBatch(
        port,
        'erin',
        { key: join(tmp.path, 'key') },
        'ls -1\n',
        tmp.path,
      );
      expect(session.code, session.output).toBe(0);
      expect(asked).toContain('erin publickey');
    });

    it('refuses what its check refuses', async () => {
      const wrong = await runSftpBatch(port, 'erin', { password: 'not-it' }, 'ls\n', tmp.path);
      expect(wrong.code).not.toBe(0);
      const nobody = await runSftpBatch(
        port,
        'mallory',
        { password: 'erin-pass' },
        'ls\n',
        tmp.path,
      );
      expect(nobody.code).not.toBe(0);
    });
  },
);
