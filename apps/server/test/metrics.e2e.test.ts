import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, hasCommand, makeTempDir } from '@sftpgo/test-utils';
import type ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runWithPassword,
  sftpBatch,
  sftpKeyboardInteractive,
  sftpOptions,
  sshPasswordOptions,
} from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';
import { connectWithPassword } from './ssh2-client.js';

const KEYBOARD_INTERACTIVE = fileURLToPath(
  new URL('../../../packages/sftpd/test/fixtures/keyboard-interactive-sample.sh', import.meta.url),
);

/** The samples of a Prometheus text page, keyed by `name{labels}` as written. */
function parseSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

const metricsUrl = (api: string) => api.replace(/\/api\/v1$/, '/metrics');

/** The reference server's counters, each of which a dashboard may query. */
const REFERENCE_COUNTERS = [
  'sftpgo_uploads_total',
  'sftpgo_downloads_total',
  'sftpgo_upload_errors_total',
  'sftpgo_download_errors_total',
  'sftpgo_upload_size',
  'sftpgo_download_size',
  'sftpgo_ssh_commands_total',
  'sftpgo_ssh_command_errors_total',
  ...['login', 'password_login', 'public_key_login', 'keyboard_interactive_login'].flatMap((m) =>
    ['attempts', 'ok', 'ko'].map((k) => `sftpgo_${m}_${k}_total`),
  ),
  'sftpgo_http_req_total',
  'sftpgo_http_req_ok_total',
  'sftpgo_http_client_errors_total',
  'sftpgo_http_server_errors_total',
];

describe.runIf(
  hasCommand('sftp') && hasCommand('ssh') && hasCommand('sshpass') && hasCommand('ssh-keygen'),
)('GET /metrics', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let api: string;
  let local: string;
  const homeOf = (user: string) => join(tmp.path, 'homes', user);
  const keyFile = () => join(tmp.path, 'id_ed25519');

  beforeAll(async () => {
    tmp = await makeTempDir();
    local = join(tmp.path, 'local');
    await mkdir(local);
    await writeFile(join(local, 'data.bin'), Buffer.alloc(12_345, 3));
    await writeFile(join(local, 'big.bin'), Buffer.alloc(600_000, 5));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile()]);
    ({ server, api } = await startLoopbackServer(tmp.path, {
      keyboard_interactive_auth_program: KEYBOARD_INTERACTIVE,
    }));
    const base = { password: 'metrics-pass', permissions: { '/': ['*'] } };
    await addUser(api, {
      ...base,
      username: 'metered',
      home_dir: homeOf('metered'),
      public_keys: [(await readFile(`${keyFile()}.pub`, 'utf8')).trim()],
    });
    await addUser(api, {
      ...base,
      username: 'capped',
      home_dir: homeOf('capped'),
      quota_size: 400_000,
    });
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await tmp?.remove();
  });

  async function scrape(): Promise<Map<string, number>> {
    const res = await fetch(metricsUrl(api));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('content-type')).toContain('version=0.0.4');
    return parseSamples(await res.text());
  }

  const sshCommand = (command: string) =>
    runWithPassword('metrics-pass', 'ssh', [
      ...sshPasswordOptions(server.sshPort),
      'metered@127.0.0.1',
      command,
    ]);

  function sftpWithKey() {
    return spawnSync(
      'sftp',
      [
        ...sftpOptions(server.sshPort),
        '-i',
        keyFile(),
        '-oIdentitiesOnly=yes',
        '-oPreferredAuthentications=publickey',
        '-b',
        '-',
        'metered@127.0.0.1',
      ],
      { input: 'pwd\n', encoding: 'utf8', timeout: 30_000 },
    );
  }

  /** An SSH connection that stays open until `end()`. */
  async function openConnection(): Promise<ssh2.Client> {
    return connectWithPassword(server.sshPort, 'metered', 'metrics-pass');
  }

  it('shows every reference metric, each at 0 or more', async () => {
    const samples = await scrape();
    for (const name of [
      ...REFERENCE_COUNTERS,
      'sftpgo_active_connections',
      'sftpgo_dataprovider_availability',
    ]) {
      expect(samples.get(name), name).toBeGreaterThanOrEqual(0);
    }
  });

  it("keeps V8's young generation at its starting size, where V8 grows it to 32 MiB", async () => {
    // what loading the server and its first sessions make V8 grow, unless
    // the server caps it (gc-settings.ts): compare `node --max-semi-space-size=16`
    expect(sftpWithKey().status).toBe(0);
    const newSpace = (await scrape()).get('nodejs_heap_space_size_total_bytes{space="new"}');
    expect(newSpace).toBeGreaterThan(0);
    expect(newSpace).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it('collects the young generation as an upload arrives, once every 4 MiB', async () => {
    // V8 alone collects by what its heap allocates: once in some 18 MiB of
    // upload; the server adds one for every 4 MiB received (collections-by-bytes.ts)
    const minor = 'nodejs_gc_duration_seconds_count{kind="minor"}';
    await writeFile(join(local, 'young.bin'), Buffer.alloc(48 * 1024 * 1024, 7));
    const before = (await scrape()).get(minor) ?? 0;
    const done = await sftpBatch(server.sshPort, 'metered', 'metrics-pass', 'put young.bin', local);
    expect(done.code, done.output).toBe(0);
    const after = (await scrape()).get(minor) ?? 0;
    expect(after - before).toBeGreaterThanOrEqual(10);
  });

  it('collects the whole heap once 256 connections have closed', async () => {
    // V8 alone collects its old generation when that has grown or the process
    // has idled a while; the server collects it twice, a second after a burst
    // of sessions ends (heap-collection-after-closes.ts)
    const major = 'nodejs_gc_duration_seconds_count{kind="major"}';
    const before = (await scrape()).get(major) ?? 0;
    const openAndClose = () =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(server.sshPort, '127.0.0.1');
        socket.once('error', reject);
        // the server's identification: the connection was admitted
        socket.once('data', () => {
          socket.once('close', () => resolve());
          socket.destroy();
        });
      });
    for (let batch = 0; batch < 256 / 16; batch++) {
      await Promise.all(Array.from({ length: 16 }, openAndClose));
    }
    await eventually(async () => {
      expect(((await scrape()).get(major) ?? 0) - before).toBeGreaterThanOrEqual(2);
    });
  });

  it('counts the logins, transfers, commands and requests that happened between two scrapes', async () => {
    const before = await scrape();

    // HTTP first, so that each request is counted well before the second scrape
    expect((await fetch(`${api}/version`)).status).toBe(200);
    expect((await fetch(`${api}/user/no-such-id`)).status).toBeGreaterThanOrEqual(400);

    const refused = await sftpBatch(server.sshPort, 'metered', 'wrong', 'pwd', local);
    expect(refused.code).not.toBe(0);

    const done = await sftpBatch(
      server.sshPort,
      'metered',
      'metrics-pass',
      'put data.bin up.bin\nget up.bin down.bin',
      local,
    );
    expect(done.code, done.output).toBe(0);
    expect((await readFile(join(local, 'down.bin'))).length).toBe(12_345);

    // an upload cut by quota_size: an upload error, whose bytes written count; the quota is
    // above one write of OpenSSH's, as a write that would cross it is refused whole
    const cut = await sftpBatch(
      server.sshPort,
      'capped',
      'metrics-pass',
      '-put big.bin big.bin',
      local,
    );
    expect(cut.code, cut.output).toBe(0);

    // a download closed after its first bytes failed, as in the reference
    const reader = await openConnection();
    await new Promise<void>((resolve, reject) =>
      reader.sftp((err, sftp) => {
        if (err) return reject(err);
        sftp.open('/up.bin', 'r', (err, handle) => {
          if (err) return reject(err);
          sftp.read(handle, Buffer.alloc(100), 0, 100, 0, (err) => {
            if (err) return reject(err);
            sftp.close(handle, (err) => (err ? reject(err) : resolve()));
          });
        });
      }),
    );
    reader.end();

    const summed = await sshCommand('md5sum up.bin');
    expect(summed.code, summed.stderr).toBe(0);
    const missing = await sshCommand('md5sum no-such-file');
    expect(missing.code).not.toBe(0);

    const keyed = sftpWithKey();
    expect(keyed.status, keyed.stderr).toBe(0);
    const answered = await sftpKeyboardInteractive(server.sshPort, 'metered', tmp.path, 'answer3');
    expect(answered.status, answered.stderr).toBe(0);
    const wrongAnswer = await sftpKeyboardInteractive(server.sshPort, 'metered', tmp.path, 'wrong');
    expect(wrongAnswer.status).not.toBe(0);

    const upBin = join(homeOf('metered'), 'up.bin');
    await server.waitForLog((l) => l.sender === 'Upload' && l.file_path === upBin);
    await server.waitForLog((l) => l.sender === 'Download' && l.file_path === upBin);
    await server.waitForLog((l) =>
      String(l.message).startsWith('transfer error: "/big.bin": size quota exceeded'),
    );
    // in place, the bytes written before the quota stopped the upload
    const cutBytes = (await stat(join(homeOf('capped'), 'big.bin'))).size;
    expect(cutBytes).toBeGreaterThan(0);

    // an open connection is an active one
    const open = await openConnection();
    const during = await scrape();
    expect(during.get('sftpgo_active_connections')).toBeGreaterThanOrEqual(1);
    open.end();
    await eventually(async () => {
      expect((await scrape()).get('sftpgo_active_connections')).toBe(0);
    });

    const after = await scrape();
    const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

    expect(delta('sftpgo_uploads_total')).toBe(1);
    expect(delta('sftpgo_upload_errors_total')).toBe(1);
    expect(delta('sftpgo_upload_size')).toBe(12_345 + cutBytes);
    expect(delta('sftpgo_downloads_total')).toBe(1);
    expect(delta('sftpgo_download_errors_total')).toBe(1);
    // the partial download's bytes count too
    expect(delta('sftpgo_download_size')).toBe(12_345 + 100);
    expect(delta('sftpgo_ssh_commands_total')).toBe(1);
    expect(delta('sftpgo_ssh_command_errors_total')).toBe(1);

    // password: sftp x2, ssh x2, the partial download, the open connection; one refused
    const logins = (method: string) =>
      ['attempts', 'ok', 'ko'].map((k) => delta(`sftpgo_${method}_${k}_total`));
    expect(logins('password_login')).toEqual([7, 6, 1]);
    expect(logins('public_key_login')).toEqual([1, 1, 0]);
    expect(logins('keyboard_interactive_login')).toEqual([2, 1, 1]);
    expect(logins('login')).toEqual([10, 8, 2]);
    expect(delta('sftpgo_logins_total{method="password",result="failure"}')).toBe(1);
    expect(delta('sftpgo_logins_total{method="password",result="success"}')).toBe(6);
    expect(delta('sftpgo_logins_total{method="public_key",result="success"}')).toBe(1);

    // at least the first scrape and GET /version; the lookup of a missing user
    expect(delta('sftpgo_http_req_ok_total')).toBeGreaterThanOrEqual(2);
    expect(delta('sftpgo_http_client_errors_total')).toBe(1);
    expect(delta('sftpgo_http_server_errors_total')).toBe(0);
    expect(delta('sftpgo_http_req_total')).toBe(
      delta('sftpgo_http_req_ok_total') + delta('sftpgo_http_client_errors_total'),
    );
    expect(delta('sftpgo_http_requests_total{code="200"}')).toBeGreaterThanOrEqual(2);

    expect(after.get('sftpgo_dataprovider_availability')).toBe(1);
    expect(after.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(after.has('process_cpu_seconds_total')).toBe(true);
    expect(after.has('process_start_time_seconds')).toBe(true);
  });
});

describe.runIf(hasCommand('openssl'))('GET /metrics behind auth_user_file', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let api: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    const apr1 = execFileSync('openssl', ['passwd', '-apr1', 'secret'], { encoding: 'utf8' });
    await writeFile(join(tmp.path, 'htpasswd'), `ops:${apr1.trim()}\n`);
    ({ server, api } = await startLoopbackServer(tmp.path, {}, {}, { auth_user_file: 'htpasswd' }));
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await tmp?.remove();
  });

  it('answers 401 without valid credentials, and the metrics with them', async () => {
    const url = metricsUrl(api);
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="SFTPGo Web"');
    const wrong = await fetch(url, { headers: { authorization: `Basic ${btoa('ops:nope')}` } });
    expect(wrong.status).toBe(401);
    const res = await fetch(url, { headers: { authorization: `Basic ${btoa('ops:secret')}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('sftpgo_dataprovider_availability 1');
  });
});
