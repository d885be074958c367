// What `sftpgo serve` runs, composed in code: users in SQLite, the SSH
// service, and the REST API that manages the users, each on its own port.
//
//   node dist/main.js ./data 2022 8080
//   curl -d '{"username":"alice","password":"secret","home_dir":"/srv/alice","permissions":{"/":["*"]},"status":1}' \
//     http://127.0.0.1:8080/api/v1/user
//   sftp -P 2022 alice@127.0.0.1
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createApi } from '@sftpgo/api';
import { openSqliteProvider } from '@sftpgo/provider';
import { loadHostKeys, SftpServer } from '@sftpgo/sftpd';

const [dir = './data', sshPort = '2022', httpPort = '8080'] = process.argv.slice(2);
const dataDir = resolve(dir);
await mkdir(dataDir, { recursive: true });

// the schema scripts that come with the package are applied at open
const provider = await openSqliteProvider({ path: join(dataDir, 'sftpgo.db') });
const log = (entry: object) => process.stderr.write(`${JSON.stringify(entry)}\n`);

const ssh = new SftpServer({
  hostKeys: await loadHostKeys(dataDir, []), // id_rsa and id_ed25519, made once
  users: provider,
  uploadMode: 1, // atomic uploads
  logger: { log },
  onEvent: log, // every transfer and command
});
const sshAddress = await ssh.listen(Number(sshPort), '127.0.0.1');

const api = createApi({
  provider,
  connections: ssh,
  version: { version: '0.1.0', build_date: '', commit_hash: '' },
});
const http = api.listen(Number(httpPort), '127.0.0.1');
await new Promise((ready) => http.once('listening', ready));

process.stdout.write(`SFTP on ${sshAddress.port}, REST API on ${httpPort}\n`);
process.once('SIGTERM', async () => {
  http.close();
  await ssh.close({ graceMs: 5000 });
  await provider.close();
  process.exit(0);
});
