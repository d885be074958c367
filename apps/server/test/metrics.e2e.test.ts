import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpBatch } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

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

describe.runIf(hasCommand('sftp') && hasCommand('sshpass'))('GET /metrics', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let api: string;
  let local: string;
  const homeOf = (user: string) => join(tmp.path, 'homes', user);

  beforeAll(async () => {
    tmp = await makeTempDir();
    local = join(tmp.path, 'local');
    await mkdir(local);
    await writeFile(join(local, 'data.bin'), Buffer.alloc(12_345, 3));
    await writeFile(join(local, 'big.bin'), Buffer.alloc(600_000, 5));
    ({ server, api } = await startLoopbackServer(tmp.path));
    const base = { password: 'metrics-pass', permissions: { '/': ['*'] } };
    await addUser(api, { ...base, username: 'metered', home_dir: homeOf('metered') });
    await addUser(api, {
      ...base,
      username: 'capped',
      home_dir: homeOf('capped'),
      quota_size: 100_000,
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

  it('counts the logins, transfers and requests that happened between two scrapes', async () => {
    const before = await scrape();

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

    // an upload cut by quota_size: an upload error
    const cut = await sftpBatch(
      server.sshPort,
      'capped',
      'metrics-pass',
      '-put big.bin big.bin',
      local,
    );
    expect(cut.code, cut.output).toBe(0);

    await server.waitForLog((l) => l.sender === 'Upload' && l.file_path === '/up.bin');
    await server.waitForLog((l) => l.sender === 'Download' && l.file_path === '/up.bin');
    const cutLog = await server.waitForLog(
      (l) => l.sender === 'Upload' && l.file_path === '/big.bin',
    );
    const cutBytes = Number(cutLog.size_bytes);

    const after = await scrape();
    const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

    expect(delta('sftpgo_uploads_total')).toBe(1);
    expect(delta('sftpgo_upload_errors_total')).toBe(1);
    expect(delta('sftpgo_upload_size_bytes_total')).toBe(12_345 + cutBytes);
    expect(delta('sftpgo_downloads_total')).toBe(1);
    expect(delta('sftpgo_download_errors_total')).toBe(0);
    expect(delta('sftpgo_download_size_bytes_total')).toBe(12_345);
    expect(delta('sftpgo_logins_total{method="password",result="failure"}')).toBe(1);
    expect(delta('sftpgo_logins_total{method="password",result="success"}')).toBe(2);
    expect(delta('sftpgo_logins_total{method="public_key",result="success"}')).toBe(0);
    expect(delta('sftpgo_ssh_commands_total')).toBe(0);
    // at least the first scrape
    expect(delta('sftpgo_http_requests_total{code="200"}')).toBeGreaterThanOrEqual(1);

    expect(after.get('sftpgo_dataprovider_availability')).toBe(1);
    expect(after.get('sftpgo_active_connections')).toBeGreaterThanOrEqual(0);
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
