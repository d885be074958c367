import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { addUser, killAllServers, startLoopbackServer } from './server-process.js';

afterAll(() => killAllServers());

describe('sftpgo serve: backups and quota scans over the REST API', () => {
  it('dumps to httpd.backups_path under the config dir, restores, and scans quotas', async () => {
    const tmp = await makeTempDir();
    const { server, api } = await startLoopbackServer(tmp.path);
    try {
      const home = join(tmp.path, 'homes/gail');
      await mkdir(home, { recursive: true });
      await writeFile(join(home, 'f'), Buffer.alloc(1234));
      const gail = {
        username: 'gail',
        password: 'pw',
        home_dir: home,
        permissions: { '/': ['*'] },
      };
      await addUser(api, gail);

      const dump = await fetch(`${api}/dumpdata?output_file=b.json`);
      expect(await dump.json()).toEqual({ error: '', message: 'Data saved', status: 200 });
      const file = join(tmp.path, 'backups/b.json');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const users = (JSON.parse(await readFile(file, 'utf8')) as { users: { username: string }[] })
        .users;
      expect(users.map((u) => u.username)).toEqual(['gail']);

      const load = await fetch(`${api}/loaddata?input_file=b.json&scan_quota=1`);
      expect(await load.json()).toEqual({ error: '', message: 'Data restored', status: 200 });
      await eventually(async () => {
        const [listed] = (await (await fetch(`${api}/user?username=gail`)).json()) as {
          used_quota_size: number;
          used_quota_files: number;
        }[];
        expect(listed).toMatchObject({ used_quota_size: 1234, used_quota_files: 1 });
      });

      const scan = await fetch(`${api}/quota_scan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'gail' }),
      });
      expect(scan.status).toBe(201);
    } finally {
      await server.stop();
      await tmp.remove();
    }
  });

  it('answers quota scans with track_quota 0 as the reference server, scanning nothing', async () => {
    const tmp = await makeTempDir();
    const { server, api } = await startLoopbackServer(tmp.path, {}, { track_quota: 0 });
    try {
      await addUser(api, {
        username: 'anyone',
        password: 'pw',
        home_dir: join(tmp.path, 'anyone'),
        permissions: { '/': ['*'] },
      });
      const res = await fetch(`${api}/quota_scan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'anyone' }),
      });
      expect(await res.json()).toEqual({ error: '', message: 'Scan started', status: 201 });
      expect(await (await fetch(`${api}/quota_scan`)).json()).toEqual([]);
    } finally {
      await server.stop();
      await tmp.remove();
    }
  });
});
