import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllServers, type ServerProcess, startLoopbackServer } from './server-process.js';

describe.runIf(hasCommand('openssl'))('the REST API behind auth_user_file', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let api: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    const apr1 = execFileSync('openssl', ['passwd', '-apr1', 'apr-secret'], { encoding: 'utf8' });
    // Apache's htpasswd -B writes $2y$, the same algorithm as bcryptjs's $2b$
    const bcryptHash = bcrypt.hashSync('bcrypt-secret', 10).replace(/^\$2b\$/, '$2y$');
    await writeFile(
      join(tmp.path, 'htpasswd'),
      `# administrators\nadmin:${bcryptHash}\nops:${apr1.trim()}\n`,
    );
    ({ server, api } = await startLoopbackServer(tmp.path, {}, {}, { auth_user_file: 'htpasswd' }));
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await tmp?.remove();
  });

  const get = (user?: string, password?: string) =>
    fetch(`${api}/version`, {
      headers: user ? { authorization: `Basic ${btoa(`${user}:${password}`)}` } : {},
    });

  it('answers 401 with the realm and the JSON error without valid credentials', async () => {
    for (const res of [await get(), await get('admin', 'wrong'), await get('nobody', 'x')]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="SFTPGo Web"');
      expect(await res.json()).toEqual({ error: 'Unauthorized', message: '', status: 401 });
    }
  });

  it('answers 401 to /metrics with the plain text Unauthorized, as the reference server does', async () => {
    const res = await fetch(new URL('/metrics', api));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="SFTPGo Web"');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('Unauthorized');
    const allowed = await fetch(new URL('/metrics', api), {
      headers: { authorization: `Basic ${btoa('admin:bcrypt-secret')}` },
    });
    expect(allowed.status).toBe(200);
  });

  it('lets in the users of the file, with bcrypt and apr1 hashes', async () => {
    expect((await get('admin', 'bcrypt-secret')).status).toBe(200);
    expect((await get('ops', 'apr-secret')).status).toBe(200);
  });
});
