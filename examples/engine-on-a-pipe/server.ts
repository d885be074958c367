// The SFTP engine on this process's stdio, serving files held in memory:
// OpenSSH's client runs it and talks to it over the pipe.
//
//   sftp -D 'node dist/server.js'
import { SftpSession } from '@sftpgo/sftp-protocol';
import { VfsSftpHandler } from '@sftpgo/sftp-vfs';
import { MemoryFs } from '@sftpgo/vfs';

const fs = new MemoryFs();
await fs.mkdir('/inbox');

const session = new SftpSession(
  { input: process.stdin, output: process.stdout },
  new VfsSftpHandler(fs, { username: 'demo' }),
);
const end = await session.ended;
process.exitCode = end.reason === 'eof' ? 0 : 1;
