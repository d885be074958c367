import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DataProvider, openSqliteProvider } from '@sftpgo/provider';
import { SftpServer } from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import type ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, hostKey, migrationsDir, sftpOf } from './fixtures.js';

const MiB = 1024 * 1024;

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
let server: SftpServer;
let port: number;

beforeAll(async () => {
  tmp = await makeTempDir();
  provider = await openSqliteProvider({ path: join(tmp.path, 'db.sqlite'), migrationsDir });
  await provider.addUser({
    username: 'down',
    password: 'pass',
    download_bandwidth: 512,
    home_dir: join(tmp.path, 'down'),
    permissions: { '/': ['*'] },
  });
  await provider.addUser({
    username: 'up',
    password: 'pass',
    upload_bandwidth: 256,
    home_dir: join(tmp.path, 'up'),
    permissions: { '/': ['*'] },
  });
  server = new SftpServer({ hostKeys: [hostKey], users: provider });
  port = (await server.listen(0, '127.0.0.1')).port;
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await tmp.remove();
});

async function timed(username: string, transfer: (sftp: ssh2.SFTPWrapper) => Promise<void>) {
  const client = await connectClient(port, { username, password: 'pass' });
  try {
    const sftp = await sftpOf(client);
    const started = performance.now();
    await transfer(sftp);
    return (performance.now() - started) / 1000;
  } finally {
    client.end();
  }
}

describe('bandwidth limits', () => {
  it('holds a download and an upload to the user limits, in KB/s of 1000 bytes', async () => {
    const big = randomBytes(4 * MiB);
    await mkdir(join(tmp.path, 'down'), { recursive: true });
    await writeFile(join(tmp.path, 'down/big.bin'), big);
    const small = randomBytes(MiB);
    await writeFile(join(tmp.path, 'small.bin'), small);

    const [download, upload] = await Promise.all([
      timed(
        'down',
        (sftp) =>
          new Promise((resolve, reject) =>
            sftp.fastGet('/big.bin', join(tmp.path, 'got.bin'), (e) => (e ? reject(e) : resolve())),
          ),
      ),
      timed(
        'up',
        (sftp) =>
          new Promise((resolve, reject) =>
            sftp.fastPut(join(tmp.path, 'small.bin'), '/put.bin', (e) =>
              e ? reject(e) : resolve(),
            ),
          ),
      ),
    ]);
    // 4 MiB at 512,000 B/s and 1 MiB at 256,000 B/s: 8.2 s and 4.1 s
    expect(download).toBeGreaterThan(8.19 * 0.9);
    expect(download).toBeLessThan(8.19 * 1.1);
    expect(upload).toBeGreaterThan(4.1 * 0.9);
    expect(upload).toBeLessThan(4.1 * 1.1);
    expect((await readFile(join(tmp.path, 'got.bin'))).equals(big)).toBe(true);
    expect((await readFile(join(tmp.path, 'up/put.bin'))).equals(small)).toBe(true);
  });
});
