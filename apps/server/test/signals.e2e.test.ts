import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { hasCommand, makeTempDir, writeSelfSignedCertificate } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sftpBatch } from './openssh-client.js';
import { addUser, killAllServers, startLoopbackServer, startServer } from './server-process.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;

beforeEach(async () => {
  tmp = await makeTempDir();
});

afterEach(async () => {
  killAllServers();
  await tmp.remove();
});

/** Whether a TCP connection to 127.0.0.1:`port` is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    socket.on('secureConnect', () => resolve(false));
    socket.on('data', () => undefined);
    setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 2000);
  });
}

/**
 * Waits until the server lists a running transfer. A login slowed down by a
 * busy machine may take seconds: a signal sent before the upload starts would
 * test the closing of an idle connection instead.
 */
async function waitForActiveTransfer(api: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const connections = (await (await fetch(`${api}/connection`)).json()) as {
      active_transfers: unknown[];
    }[];
    if (connections.some((c) => c.active_transfers.length > 0)) return;
    if (Date.now() > deadline) throw new Error('no transfer was listed within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A server and an upload of 600 KB at 200 KB/s (about 3 s) to it, under way:
 * a transfer running when a signal arrives.
 */
async function slowUpload() {
  const local = join(tmp.path, 'local');
  await mkdir(local);
  const payload = Buffer.alloc(600_000, 5);
  await writeFile(join(local, 'big.bin'), payload);
  const { server, api } = await startLoopbackServer(tmp.path);
  const home = join(tmp.path, 'homes', 'slow');
  await addUser(api, {
    username: 'slow',
    password: 'pw-slow',
    home_dir: home,
    permissions: { '/': ['*'] },
    upload_bandwidth: 200,
  });
  const upload = sftpBatch(server.sshPort, 'slow', 'pw-slow', 'put big.bin\n', local);
  return { server, api, payload, uploaded: join(home, 'big.bin'), upload };
}

describe.runIf(hasCommand('sftp') && hasCommand('sshpass'))('SIGTERM', () => {
  it('stops accepting, lets the running upload finish, then exits 0', async () => {
    const { server, api, payload, uploaded, upload } = await slowUpload();
    await waitForActiveTransfer(api);
    const started = Date.now();
    const exited = server.stop('SIGTERM');
    await server.waitForLog((l) => l.message === 'SIGTERM received, stopping');
    await new Promise((r) => setTimeout(r, 300));
    expect(await refused(server.sshPort)).toBe(true);
    // the client's output says why, should it fail
    expect(await upload).toMatchObject({ code: 0 });
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeGreaterThan(1000);
    expect((await stat(uploaded)).size).toBe(payload.length);
    expect(await readFile(uploaded)).toEqual(payload);
    expect(server.logs.some((l) => l.message === 'stopped')).toBe(true);
  });

  it('during REST API writes: every write it answered is stored, and it starts again on the same store', async () => {
    const { server, api } = await startLoopbackServer(tmp.path);
    /** The quota_files each user was last answered 200 for. */
    const acknowledged = new Map<string, number>();
    let stopping = false;
    const writer = async (w: number) => {
      for (let i = 0; !stopping || i % 5 !== 0; i++) {
        const username = `w${w}-${Math.floor(i / 5)}`;
        const user = {
          username,
          password: 'pw-api-writer',
          home_dir: join(tmp.path, 'homes', username),
          permissions: { '/': ['*'] },
          quota_files: i % 5,
          status: 1,
        };
        try {
          const res =
            i % 5 === 0
              ? await fetch(`${api}/user`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify(user),
                })
              : await fetch(`${api}/user?username=${username}`)
                  .then((r) => r.json() as Promise<{ id: number }[]>)
                  .then(([found]) =>
                    fetch(`${api}/user/${found!.id}`, {
                      method: 'PUT',
                      headers: { 'content-type': 'application/json' },
                      body: JSON.stringify({ ...found, quota_files: i % 5 }),
                    }),
                  );
          if (res.status === 200) acknowledged.set(username, i % 5);
        } catch {
          return; // refused or reset: the server is going away
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (acknowledged.size < 10) await new Promise((r) => setTimeout(r, 20));
    const exited = server.stop('SIGTERM');
    stopping = true;
    await Promise.all(writers);
    expect(await exited).toBe(0);
    // the log was written to its end
    expect(server.logs.at(-1)?.message).toBe('stopped');

    const again = await startServer(tmp.path);
    try {
      const users = (await (await fetch(`${api}/user?limit=500`)).json()) as {
        username: string;
        quota_files: number;
      }[];
      const stored = new Map(users.map((u) => [u.username, u.quota_files]));
      for (const [username, quotaFiles] of acknowledged) {
        // the last write may have been stored without its answer reaching us
        expect(stored.get(username), username).toBeGreaterThanOrEqual(quotaFiles);
      }
    } finally {
      await again.stop();
    }
  });
});

describe.runIf(hasCommand('sftp') && hasCommand('sshpass'))('SIGHUP without HTTPS', () => {
  it('leaves a running upload and the server alone', async () => {
    const { server, api, payload, uploaded, upload } = await slowUpload();
    await new Promise((r) => setTimeout(r, 1000));
    process.kill(server.pid, 'SIGHUP');
    await server.waitForLog((l) => l.message === 'SIGHUP received, reloading');
    const result = await upload;
    expect(result.code, result.output).toBe(0);
    expect(await readFile(uploaded)).toEqual(payload);
    expect((await fetch(`${api}/version`)).status).toBe(200);
    expect(await server.stop()).toBe(0);
  });
});

describe.runIf(hasCommand('openssl'))('SIGHUP with HTTPS', () => {
  async function certificate(name: string): Promise<void> {
    writeSelfSignedCertificate(join(tmp.path, `${name}.crt`), join(tmp.path, `${name}.key`), name);
  }

  /** The CN of the certificate the API serves, and the answer to GET /version. */
  function peer(api: string): Promise<{ cn: string; status: number }> {
    return new Promise((resolve, reject) => {
      const req = request(`${api}/version`, { rejectUnauthorized: false, agent: false }, (res) => {
        const cn = (res.socket as TLSSocket).getPeerCertificate().subject.CN;
        res.resume();
        res.on('end', () => resolve({ cn: String(cn), status: res.statusCode ?? 0 }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves the new certificate pair on the same listener, and keeps the old one if the new is bad', async () => {
    for (const name of ['first', 'second']) await certificate(name);
    const use = async (name: string, keyName = name) => {
      await writeFile(join(tmp.path, 'api.crt'), await readFile(join(tmp.path, `${name}.crt`)));
      await writeFile(join(tmp.path, 'api.key'), await readFile(join(tmp.path, `${keyName}.key`)));
    };
    await use('first');
    const { server, api } = await startLoopbackServer(
      tmp.path,
      {},
      {},
      {
        certificate_file: 'api.crt',
        certificate_key_file: 'api.key',
      },
    );
    expect(api).toMatch(/^https:/);
    expect(await peer(api)).toEqual({ cn: 'first', status: 200 });

    await use('second');
    process.kill(server.pid, 'SIGHUP');
    await server.waitForLog((l) => l.message === 'HTTPS certificate reloaded');
    expect(await peer(api)).toEqual({ cn: 'second', status: 200 });

    await use('first', 'second');
    process.kill(server.pid, 'SIGHUP');
    await server.waitForLog((l) =>
      String(l.message).startsWith('HTTPS certificate not reloaded, the previous one is kept'),
    );
    expect(await peer(api)).toEqual({ cn: 'second', status: 200 });
    expect(await server.stop()).toBe(0);
  });
});
