import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { freePort, hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpBatch } from './openssh-client.js';
import { killAllServers, runSftpgo, spawnSftpgo } from './server-process.js';

type Line = Record<string, unknown>;

/** The keys of each category of the spec's "Logs", in the order written. */
const CATEGORY_KEYS = {
  transfer: [
    'level',
    'time',
    'sender',
    'elapsed_ms',
    'size_bytes',
    'username',
    'file_path',
    'connection_id',
    'protocol',
  ],
  command: [
    'level',
    'time',
    'sender',
    'username',
    'file_path',
    'target_path',
    'filemode',
    'uid',
    'gid',
    'access_time',
    'modification_time',
    'ssh_command',
    'connection_id',
    'protocol',
  ],
  http: [
    'level',
    'time',
    'sender',
    'method',
    'proto',
    'remote_addr',
    'request_id',
    'uri',
    'user_agent',
    'resp_status',
    'resp_size',
    'elapsed_ms',
  ],
  connection_failed: ['level', 'time', 'sender', 'client_ip', 'username', 'login_type', 'error'],
};

describe.runIf(hasCommand('sftp') && hasCommand('sshpass'))('the log file', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  const lines: Line[] = [];
  let files: string[] = [];

  beforeAll(async () => {
    tmp = await makeTempDir();
    const local = join(tmp.path, 'local');
    await mkdir(local);
    await mkdir(join(tmp.path, 'logs'));
    await writeFile(join(local, 'hello.txt'), 'hello\n');
    const [sshPort, httpPort] = [await freePort(), await freePort()];
    await writeFile(
      join(tmp.path, 'sftpgo.json'),
      JSON.stringify({
        sftpd: { bind_port: sshPort, bind_address: '127.0.0.1' },
        httpd: { bind_port: httpPort, bind_address: '127.0.0.1' },
      }),
    );
    const child = spawnSftpgo([
      'serve',
      '--config-dir',
      tmp.path,
      '--log-file-path',
      'logs/sftpgo.log',
      '--log-max-size',
      '0.002',
      '--log-max-backups',
      '50',
      '--log-compress',
    ]);
    const exited = new Promise((resolve) => child.on('close', resolve));
    const api = `http://127.0.0.1:${httpPort}/api/v1`;
    // the first start generates the host keys: slow on a busy machine
    const answers = () =>
      fetch(`${api}/version`).then(
        (r) => r.ok,
        () => false,
      );
    const deadline = Date.now() + 30_000;
    while (!(await answers())) {
      if (Date.now() > deadline) throw new Error('the server did not answer in 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const res = await fetch(`${api}/user`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'log-test/1.0' },
      body: JSON.stringify({
        status: 1,
        username: 'alice',
        password: 'pw-alice',
        home_dir: join(tmp.path, 'homes', 'alice'),
        permissions: { '/': ['*'] },
      }),
    });
    expect(res.status).toBe(200);
    await sftpBatch(sshPort, 'alice', 'wrong', 'ls\n', local);
    const ok = await sftpBatch(
      sshPort,
      'alice',
      'pw-alice',
      'put hello.txt\nget hello.txt back.txt\nmkdir dir\nrename hello.txt dir/hello.txt\nchmod 600 dir/hello.txt\n',
      local,
    );
    expect(ok.code).toBe(0);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    files = (await readdir(join(tmp.path, 'logs'))).sort();
    for (const name of files) {
      const raw = await readFile(join(tmp.path, 'logs', name));
      const text = name.endsWith('.gz') ? gunzipSync(raw).toString() : raw.toString();
      lines.push(
        ...text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Line),
      );
    }
  }, 60_000);

  afterAll(async () => {
    killAllServers();
    await tmp?.remove();
  });

  it('rotates at the size given, compressing the rotated files', () => {
    expect(files).toContain('sftpgo.log');
    const backups = files.filter((f) =>
      /^sftpgo-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log\.gz$/.test(f),
    );
    expect(backups.length).toBeGreaterThan(0);
    expect(backups.length).toBe(files.length - 1);
    // nothing lost: the first line and the last both made it
    expect(String(lines[0]?.message)).toMatch(/configuration|no configuration file/);
    expect(lines.at(-1)?.message).toBe('stopped');
  });

  it('writes each category with exactly the fields of the spec', () => {
    const keysOf = (sender: string) =>
      lines.filter((l) => l.sender === sender).map((l) => Object.keys(l));
    expect(keysOf('Upload')[0]).toEqual(CATEGORY_KEYS.transfer);
    expect(keysOf('Download')[0]).toEqual(CATEGORY_KEYS.transfer);
    for (const command of ['Mkdir', 'Rename', 'Chmod']) {
      expect(keysOf(command)[0]).toEqual(CATEGORY_KEYS.command);
    }
    expect(keysOf('connection_failed')[0]).toEqual(CATEGORY_KEYS.connection_failed);
    const http = lines.find((l) => l.sender === 'httpd' && l.method === 'POST');
    expect(Object.keys(http ?? {})).toEqual(CATEGORY_KEYS.http);
    expect(http).toMatchObject({
      proto: 'HTTP/1.1',
      user_agent: 'log-test/1.0',
      resp_status: 200,
      uri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/user$/),
      remote_addr: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    expect(lines.find((l) => l.sender === 'Upload')).toMatchObject({
      level: 'info',
      size_bytes: 6,
      username: 'alice',
      file_path: join(tmp.path, 'homes', 'alice', 'hello.txt'),
      protocol: 'SFTP',
    });
    for (const line of lines) {
      expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(['debug', 'info', 'warn', 'error']).toContain(line.level);
    }
  });
});

describe('the folder of the log file', () => {
  it('is created when missing, mode 0700, as the reference server creates it', async () => {
    const tmp = await makeTempDir();
    try {
      // a bad umask ends the start once the log is open, with the reason in the log
      await writeFile(join(tmp.path, 'sftpgo.json'), '{"sftpd": {"umask": "9"}}');
      const { code } = await runSftpgo([
        'serve',
        '--config-dir',
        tmp.path,
        '--log-file-path',
        'logs/sftpgo/sftpgo.log',
      ]);
      expect(code).toBe(1);
      for (const dir of ['logs', 'logs/sftpgo']) {
        expect((await stat(join(tmp.path, dir))).mode & 0o777, dir).toBe(0o700);
      }
      const log = await readFile(join(tmp.path, 'logs', 'sftpgo', 'sftpgo.log'), 'utf8');
      expect(log).toMatch(/sftpd\.umask.*must be an octal mode/);
    } finally {
      await tmp.remove();
    }
  });

  it('that cannot be created stops the start, naming the log file', async () => {
    const tmp = await makeTempDir();
    try {
      await writeFile(join(tmp.path, 'not-a-dir'), '');
      const { code, stderr } = await runSftpgo([
        'serve',
        '--config-dir',
        tmp.path,
        '--log-file-path',
        'not-a-dir/sftpgo.log',
      ]);
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /^sftpgo: cannot create the folder of the log file ".*sftpgo\.log": /m,
      );
    } finally {
      await tmp.remove();
    }
  });
});
