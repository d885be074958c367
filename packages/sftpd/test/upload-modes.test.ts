import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DataProvider, openSqliteProvider } from '@sftpgo/provider';
import { SftpServer, type UploadMode } from '@sftpgo/sftpd';
import { eventually, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, hostKey, migrationsDir, sftpOf } from './fixtures.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
const servers: SftpServer[] = [];

beforeAll(async () => {
  tmp = await makeTempDir();
  provider = await openSqliteProvider({ path: join(tmp.path, 'db.sqlite'), migrationsDir });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await provider?.close();
  await tmp.remove();
});

async function serverWithMode(mode: UploadMode): Promise<{ port: number; home: string }> {
  const home = join(tmp.path, `home-${mode}`);
  await provider.addUser({
    username: `mode${mode}`,
    password: 'pass',
    home_dir: home,
    permissions: { '/': ['*'] },
  });
  const server = new SftpServer({ hostKeys: [hostKey], users: provider, uploadMode: mode });
  servers.push(server);
  return { port: (await server.listen(0, '127.0.0.1')).port, home };
}

async function connect(port: number, username: string) {
  const client = await connectClient(port, { username, password: 'pass' });
  return { client, sftp: await sftpOf(client) };
}

/** Opens `/cut.bin`, writes some data, and drops the connection with the file open. */
async function cutUpload(port: number, username: string): Promise<void> {
  const { client, sftp } = await connect(port, username);
  const handle = await new Promise<Buffer>((resolve, reject) =>
    sftp.open('/cut.bin', 'w', (err, h) => (err ? reject(err) : resolve(h))),
  );
  await new Promise<void>((resolve, reject) =>
    sftp.write(handle, Buffer.from('cut short'), 0, 9, 0, (err) => (err ? reject(err) : resolve())),
  );
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.destroy();
  await closed;
}

describe('upload modes over SFTP', () => {
  it('mode 1: a complete upload lands whole; a cut one leaves nothing', async () => {
    const { port, home } = await serverWithMode(1);
    const local = join(tmp.path, 'whole.bin');
    const content = randomBytes(1024 * 1024);
    await writeFile(local, content);
    const { client, sftp } = await connect(port, 'mode1');
    await new Promise<void>((resolve, reject) =>
      sftp.fastPut(local, '/whole.bin', (err) => (err ? reject(err) : resolve())),
    );
    client.end();
    expect((await readFile(join(home, 'whole.bin'))).equals(content)).toBe(true);

    await cutUpload(port, 'mode1');
    await eventually(async () => expect((await readdir(home)).sort()).toEqual(['whole.bin']));
  });

  it('mode 2: a cut upload stays at its path, to be resumed', async () => {
    const { port, home } = await serverWithMode(2);
    await cutUpload(port, 'mode2');
    await eventually(async () => {
      expect(await readdir(home)).toEqual(['cut.bin']);
      expect(await readFile(join(home, 'cut.bin'), 'utf8')).toBe('cut short');
    });
  });
});
