import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { eventually, hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpBatch } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';
import { connectWithPassword } from './ssh2-client.js';

describe.runIf(hasCommand('sftp') && hasCommand('sshpass'))('custom actions', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let hooks: Server;
  const queries: string[] = [];
  let home: string;
  let local: string;

  const runs = async (): Promise<string[]> =>
    (await readFile(join(tmp.path, 'runs.txt'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean);

  beforeAll(async () => {
    tmp = await makeTempDir();
    home = join(tmp.path, 'homes', 'alice');
    local = join(tmp.path, 'local');
    await mkdir(local);
    await writeFile(join(local, 'hello.txt'), 'hello from the client\n');
    await writeFile(join(local, 'empty.txt'), '');
    const command = join(tmp.path, 'on-file.sh');
    await writeFile(
      command,
      `#!/bin/sh\necho "$1|$2|$3|$4|$5|$SFTPGO_ACTION|$SFTPGO_ACTION_FILE_SIZE|$SFTPGO_ACTION_LOCAL_FILE" >> '${join(tmp.path, 'runs.txt')}'\n`,
    );
    await chmod(command, 0o755);
    hooks = createServer((req, res) => {
      queries.push(`${req.method} ${req.url}`);
      res.end();
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    const { port } = hooks.address() as AddressInfo;
    let api: string;
    ({ server, api } = await startLoopbackServer(tmp.path, {
      actions: {
        execute_on: ['upload', 'download', 'rename', 'delete'],
        command,
        http_notification_url: `http://127.0.0.1:${port}/hook`,
      },
    }));
    await addUser(api, {
      username: 'alice',
      password: 'pw-alice',
      home_dir: home,
      permissions: { '/': ['*'], '/ro': ['list'] },
    });
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    hooks?.closeAllConnections();
    await new Promise((resolve) => hooks?.close(resolve));
    await tmp?.remove();
  });

  it('runs the command and sends the GET after each successful operation, with their values', async () => {
    const result = await sftpBatch(
      server.sshPort,
      'alice',
      'pw-alice',
      'put hello.txt\nget hello.txt copy.txt\nrename hello.txt moved.txt\nrm moved.txt\n',
      local,
    );
    expect(result.code).toBe(0);
    const file = (name: string) => join(home, name);
    await eventually(async () => {
      expect(await runs()).toEqual([
        `upload|alice|${file('hello.txt')}|||upload|22|true`,
        `download|alice|${file('hello.txt')}|||download|22|true`,
        `rename|alice|${file('hello.txt')}|${file('moved.txt')}||rename||true`,
        `delete|alice|${file('moved.txt')}|||delete|22|true`,
      ]);
      expect(queries).toHaveLength(4);
    });
    const path = (name: string) => encodeURIComponent(file(name));
    expect(queries).toEqual([
      `GET /hook?action=upload&username=alice&path=${path('hello.txt')}&local_file=true&file_size=22`,
      `GET /hook?action=download&username=alice&path=${path('hello.txt')}&local_file=true&file_size=22`,
      `GET /hook?action=rename&username=alice&path=${path('hello.txt')}&local_file=true&target_path=${path('moved.txt')}`,
      `GET /hook?action=delete&username=alice&path=${path('moved.txt')}&local_file=true&file_size=22`,
    ]);
  });

  it('fires nothing for an operation that failed', async () => {
    const before = (await runs()).length;
    const result = await sftpBatch(
      server.sshPort,
      'alice',
      'pw-alice',
      '-put hello.txt /ro/hello.txt\n-rm /no-such-file\n-rename /nothing /else\n',
      local,
    );
    expect(result.output).toMatch(/Permission denied/);
    // a later successful upload shows the queue has been worked through
    await sftpBatch(server.sshPort, 'alice', 'pw-alice', 'put hello.txt last.txt\n', local);
    await eventually(async () => {
      expect((await runs()).slice(before)).toEqual([
        `upload|alice|${join(home, 'last.txt')}|||upload|22|true`,
      ]);
    });
  });

  it('passes no size for an empty file, and the whole size for a resumed upload', async () => {
    const before = { runs: (await runs()).length, queries: queries.length };
    // the first 10 bytes of hello.txt, as an upload cut short leaves them
    await writeFile(join(home, 'resumed.txt'), 'hello from');
    const result = await sftpBatch(
      server.sshPort,
      'alice',
      'pw-alice',
      'put empty.txt\nreput hello.txt resumed.txt\n',
      local,
    );
    expect(result.code, result.output).toBe(0);
    expect(await readFile(join(home, 'resumed.txt'), 'utf8')).toBe('hello from the client\n');
    await eventually(async () => {
      expect((await runs()).slice(before.runs)).toEqual([
        `upload|alice|${join(home, 'empty.txt')}|||upload||true`,
        `upload|alice|${join(home, 'resumed.txt')}|||upload|22|true`,
      ]);
      expect(queries.slice(before.queries)).toEqual([
        `GET /hook?action=upload&username=alice&path=${encodeURIComponent(join(home, 'empty.txt'))}&local_file=true`,
        `GET /hook?action=upload&username=alice&path=${encodeURIComponent(join(home, 'resumed.txt'))}&local_file=true&file_size=22`,
      ]);
    });
    // the transfer line counts the bytes of this session, as in the reference
    const resumed = await server.waitForLog(
      (l) => l.sender === 'Upload' && l.file_path === join(home, 'resumed.txt'),
    );
    expect(resumed.size_bytes).toBe(12);
  });

  it('treats a download closed before the end of the file as failed', async () => {
    await writeFile(join(home, 'partial.bin'), Buffer.alloc(100_000, 7));
    const before = (await runs()).length;
    const client = await connectWithPassword(server.sshPort, 'alice', 'pw-alice');
    try {
      await new Promise<void>((resolve, reject) =>
        client.sftp((err, sftp) => {
          if (err) return reject(err);
          sftp.open('/partial.bin', 'r', (err, handle) => {
            if (err) return reject(err);
            sftp.read(handle, Buffer.alloc(1000), 0, 1000, 0, (err) => {
              if (err) return reject(err);
              sftp.close(handle, (err) => (err ? reject(err) : resolve()));
            });
          });
        }),
      );
    } finally {
      client.end();
    }
    const warning = await server.waitForLog((l) => String(l.message).includes('partial.bin'));
    expect(warning).toMatchObject({
      level: 'warn',
      sender: 'sftpd',
      message: `transfer error: incomplete download: 1000/100000 bytes transferred, path: "${join(home, 'partial.bin')}"`,
    });
    // the queue is worked through in order: a later upload's action comes alone
    await sftpBatch(server.sshPort, 'alice', 'pw-alice', 'put hello.txt after.txt\n', local);
    await eventually(async () => {
      expect((await runs()).slice(before)).toEqual([
        `upload|alice|${join(home, 'after.txt')}|||upload|22|true`,
      ]);
    });
    expect(server.logs.filter((l) => l.file_path === join(home, 'partial.bin'))).toEqual([]);
  });
});
