import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import ssh2 from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sftpBatch } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';
import { connectWithPassword } from './ssh2-client.js';

/** The attacker's address: another loopback address than the users'. */
const FLOOD_FROM = '127.0.0.3';
/** Half-open connections of a flood, within what the open-files limit lets both ends hold. */
function floodSize(): number {
  const limit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }));
  return Math.min(2000, Math.floor((limit - 500) / 2));
}

/** Opens `count` connections from `from` that never send a byte; resolves once each is settled. */
async function halfOpen(port: number, from: string, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from(
      { length: Math.min(100, count - i) },
      () =>
        new Promise<void>((resolve) => {
          const socket = connect({ port, host: '127.0.0.1', localAddress: from }, () => resolve());
          socket.on('error', () => resolve());
          socket.on('data', () => {});
          sockets.push(socket);
        }),
    );
    await Promise.all(batch);
  }
  return sockets;
}

/** Tries wrong passwords until the server closes the connection; how many it tried. */
function guess(port: number, username: string): Promise<number> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let attempts = 0;
    client.on('error', () => {});
    client.on('close', () => resolve(attempts));
    client.connect({
      host: '127.0.0.1',
      port,
      username,
      readyTimeout: 60_000,
      authHandler: (_methods, _partial, next) => {
        attempts++;
        // bounded: a server that never closes ends the test here
        if (attempts > 20) return next(false as never);
        next({ type: 'password', username, password: `guess-${attempts}` });
      },
    });
  });
}

const held = (sockets: readonly Socket[]) =>
  sockets.filter((s) => !s.destroyed && !s.readableEnded);

describe.runIf(hasCommand('sftp') && hasCommand('sshpass'))(
  'a flood of half-open connections',
  () => {
    let tmp: Awaited<ReturnType<typeof makeTempDir>>;
    let flood: Socket[] = [];
    const servers: ServerProcess[] = [];

    beforeAll(async () => {
      tmp = await makeTempDir();
      await writeFile(join(tmp.path, 'hello.txt'), 'hello\n');
    });
    afterEach(() => {
      for (const socket of flood) socket.destroy();
      flood = [];
    });
    afterAll(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      killAllServers();
      await tmp.remove();
    });

    async function serve(name: string, sftpd: Record<string, unknown>) {
      const configDir = join(tmp.path, name);
      await mkdir(configDir);
      const { server, api } = await startLoopbackServer(configDir, sftpd);
      servers.push(server);
      await addUser(api, {
        username: 'alice',
        password: 'alice-password-1',
        home_dir: join(tmp.path, `${name}-home`),
        permissions: { '/': ['*'] },
      });
      return server;
    }

    it('leaves the listener serving users, and max_auth_tries still closes a guesser', async () => {
      const server = await serve('uncapped', {});
      const count = floodSize();
      flood = await halfOpen(server.sshPort, FLOOD_FROM, count);
      // every one of them is held: the server refused none
      expect(held(flood)).toHaveLength(count);
      const { code, output } = await sftpBatch(
        server.sshPort,
        'alice',
        'alice-password-1',
        'put hello.txt\nls -1\n',
        tmp.path,
      );
      expect(output).toContain('hello.txt');
      expect(code).toBe(0);
      expect(await readFile(join(tmp.path, 'uncapped-home', 'hello.txt'), 'utf8')).toBe('hello\n');
      // a guesser is closed after max_auth_tries (6) failures, flood or not
      const attempts = await guess(server.sshPort, 'alice');
      // the client may have sent its seventh before it read the close
      expect(attempts).toBeGreaterThanOrEqual(6);
      expect(attempts).toBeLessThanOrEqual(7);
      expect(server.logs.some((l) => /: 6 failed login attempts$/.test(String(l.message)))).toBe(
        true,
      );
    }, 120_000);

    it('holds an address to max_per_host_connections and serves the others', async () => {
      const server = await serve('capped', { max_per_host_connections: 20 });
      flood = await halfOpen(server.sshPort, FLOOD_FROM, floodSize());
      // the refused ones are closed at once; 20 are held
      for (let waited = 0; held(flood).length > 20 && waited < 10_000; waited += 100) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(held(flood)).toHaveLength(20);
      expect(
        server.logs.some(
          (l) =>
            l.message ===
            `connection from ${FLOOD_FROM} refused: 20 connections from this address are open, the limit of max_per_host_connections`,
        ),
      ).toBe(true);
      // the flooding address cannot log in; another one can
      await expect(
        connectWithPassword(server.sshPort, 'alice', 'alice-password-1', {
          localAddress: FLOOD_FROM,
        }),
      ).rejects.toThrow();
      const { code, output } = await sftpBatch(
        server.sshPort,
        'alice',
        'alice-password-1',
        'ls -1\n',
        tmp.path,
      );
      expect(code, output).toBe(0);
    }, 120_000);
  },
);
