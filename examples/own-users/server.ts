// An SSH server whose users are the application's own: it checks their
// passwords itself and gives each one a directory of its own.
//
//   node dist/server.js 2222 ./shares
//   sftp -P 2222 alice@127.0.0.1          (password: correct horse)
import { join, resolve } from 'node:path';
import { accountUser, generateHostKeys, SftpServer, type UserSource } from '@sftpgo/sftpd';

const [port = '2222', root = './shares'] = process.argv.slice(2);

// the application's accounts, from its own database in real life
const accounts = new Map([
  ['alice', { password: 'correct horse', readOnly: false }],
  ['bob', { password: 'battery staple', readOnly: true }],
]);

const users: UserSource = {
  async getUserByUsername(name) {
    const account = accounts.get(name);
    if (!account) return undefined;
    return accountUser({
      username: name,
      home_dir: join(resolve(root), name),
      permissions: { '/': account.readOnly ? ['list', 'download'] : ['*'] },
    });
  },
  async authenticate(name, credential) {
    const account = accounts.get(name);
    if (credential.type !== 'password' || credential.password !== account?.password)
      return undefined;
    return this.getUserByUsername(name);
  },
};

const server = new SftpServer({ hostKeys: generateHostKeys(), users });
const address = await server.listen(Number(port), '127.0.0.1');
process.stdout.write(`listening on ${address.address}:${address.port}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
