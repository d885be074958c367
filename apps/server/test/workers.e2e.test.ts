import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { childPids, eventually, hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithPassword, sftpBatch, sshPasswordOptions } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
  startServer,
} from './server-process.js';

const WORKERS = 2;
// the defender's test logs in from its own address, so that its ban leaves the others alone
const BANNED_IP = '127.0.0.2';
// the connections of one address, counted across the workers, from an address of its own
const CAPPED_IP = '127.0.0.3';
const MAX_PER_HOST = 6;
const hasTools = hasCommand('sftp') && hasCommand('sshpass') && hasCommand('ss');

/** The worker pids that the server logged at start. */
function workerPids(server: ServerProcess): number[] {
  const line = server.logs.find((l) =>
    String(l.message).startsWith(`SSH connections served by ${WORKERS} worker processes`),
  );
  const pids = /pids (.*)$/.exec(String(line?.message))?.[1];
  return (pids ?? '').split(', ').map(Number);
}

/** The pids holding each established connection to `port` (from `from` only, if given), as `ss` tells. */
function connectionOwners(port: number, from?: string): number[] {
  const filter = from ? `( sport = :${port} and dst ${from} )` : `( sport = :${port} )`;
  const out = execFileSync('ss', ['-Htnp', 'state', 'established', filter], { encoding: 'utf8' });
  return [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

/** Opens `count` connections from `from` that send nothing, one after another; each is open or closed when it resolves. */
async function silentConnections(port: number, from: string, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress: from });
      // the server's identification line says it was served; a refused one is closed
      socket.once('data', () => resolve());
      socket.once('close', () => resolve());
      socket.on('error', () => {});
      sockets.push(socket);
    });
  }
  return sockets;
}

/**
 * Whether `pid` is a live process: a zombie is not (an exited worker whose
 * parent has gone waits for init, which may take its time to reap it).
 */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe.runIf(hasTools)(`sftpgo serve with sftpd.workers ${WORKERS}`, () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let local: string;
  let server: ServerProcess;
  let api: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    local = join(tmp.path, 'local');
    await mkdir(local);
    await writeFile(join(local, 'up.txt'), 'uploaded');
    const dir = join(tmp.path, 'config');
    await mkdir(dir);
    const defender = {
      enabled: true,
      score_per_failure: 5,
      threshold: 10,
      ban_time: 5,
      observation_time: 5,
    };
    ({ server, api } = await startLoopbackServer(dir, {
      workers: WORKERS,
      defender,
      max_per_host_connections: MAX_PER_HOST,
    }));
    for (const [username, max_sessions] of [
      ['alice', 0],
      ['single', 1],
    ] as const) {
      await addUser(api, {
        username,
        password: `pw-${username}`,
        home_dir: join(tmp.path, 'homes', username),
        permissions: { '/': ['*'] },
        max_sessions,
      });
    }
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await tmp?.remove();
  });

  /**
   * A session that logs in, runs `pwd`, stays for `seconds` (`!sleep` runs
   * on the client) and lists: the listing fails if the connection was closed meanwhile.
   */
  const held = (user: string, seconds: number) =>
    sftpBatch(server.sshPort, user, `pw-${user}`, `pwd\n!sleep ${seconds}\nls\n`, local);

  /** `pwd` in a session of alice's from the address `from`. */
  const sftpFrom = (from: string, password: string) =>
    runWithPassword(
      password,
      'sftp',
      [
        ...sshPasswordOptions(server.sshPort).map((o) => (o === '-p' ? '-P' : o)),
        `-oBindAddress=${from}`,
        '-b',
        '-',
        'alice@127.0.0.1',
      ],
      { cwd: local, input: 'pwd\n' },
    );

  const connections = async () =>
    (await (await fetch(`${api}/connection`)).json()) as {
      connection_id: string;
      username: string;
    }[];

  const metric = async (name: string) => {
    const text = await (await fetch(`${api.replace('/api/v1', '')}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  };

  it('spreads connections over the workers; the API lists them all and the metrics count them', async () => {
    const pids = workerPids(server);
    expect(pids).toHaveLength(WORKERS);
    for (const pid of pids) expect(pid).not.toBe(server.pid);
    // named for ps and top
    const titles = pids.map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    expect(titles.map((t) => t.replace(/\0.*$/s, '')).sort()).toEqual([
      'sftpgo serve: SSH worker 0',
      'sftpgo serve: SSH worker 1',
    ]);

    const sessions = Array.from({ length: 4 }, () => held('alice', 4));
    await eventually(async () => expect(await connections()).toHaveLength(4));
    const owners = connectionOwners(server.sshPort);
    expect(owners).toHaveLength(4);
    // the worker with the fewest connections takes the next one: two each
    for (const pid of pids) expect(owners.filter((o) => o === pid)).toHaveLength(2);
    expect(new Set((await connections()).map((c) => c.connection_id)).size).toBe(4);
    expect(await metric('sftpgo_active_connections')).toBe(4);

    const uploads = await metric('sftpgo_uploads_total');
    for (const result of await Promise.all(sessions)) expect(result.code, result.output).toBe(0);
    // one upload through each worker, both counted by the one /metrics
    const both = [1, 2].map((i) =>
      sftpBatch(server.sshPort, 'alice', 'pw-alice', `put up.txt up-${i}.txt\n!sleep 1\n`, local),
    );
    for (const result of await Promise.all(both)) expect(result.code, result.output).toBe(0);
    expect(await metric('sftpgo_uploads_total')).toBe(uploads + 2);
    await eventually(async () => expect(await connections()).toHaveLength(0));
  });

  it("holds a user's max_sessions across workers", async () => {
    const first = held('single', 4);
    await eventually(async () => expect(await connections()).toHaveLength(1));
    // each refused login lands on another worker than the first: the fewest connections
    for (let i = 0; i < 2; i++) {
      const refused = await sftpBatch(server.sshPort, 'single', 'pw-single', 'pwd\n', local);
      expect(refused.code).not.toBe(0);
    }
    // a worker's line may reach the server's log after its client has gone
    const refusals = () =>
      server.logs.filter((l) =>
        String(l.message).includes('authentication refused for user "single"'),
      );
    await eventually(async () => expect(refusals()).toHaveLength(2));
    expect(refusals()[0]?.message).toMatch(/too many open sessions: 1\/1$/);
    expect((await first).code).toBe(0);
    // the session that ended is counted out: the user logs in again
    const again = await sftpBatch(server.sshPort, 'single', 'pw-single', 'pwd\n', local);
    expect(again.code, again.output).toBe(0);
  });

  it('closes a connection by id, whichever worker serves it', async () => {
    const sessions = [held('alice', 4), held('alice', 4)];
    await eventually(async () => expect(await connections()).toHaveLength(2));
    for (const { connection_id } of await connections()) {
      const res = await fetch(`${api}/connection/${connection_id}`, { method: 'DELETE' });
      expect(res.status).toBe(200);
    }
    // closing ends the client's connection; the worker lists it until its socket has closed
    await eventually(async () => expect(await connections()).toEqual([]));
    // their listing after the sleep finds the connection closed
    for (const result of await Promise.all(sessions)) expect(result.code).not.toBe(0);
    expect((await fetch(`${api}/connection/0123456789abcdef`, { method: 'DELETE' })).status).toBe(
      404,
    );
  });

  it('bans an address for the failures it made on every worker together', async () => {
    const fromBanned = (password: string) => sftpFrom(BANNED_IP, password);
    // two at once: one failure on each worker, each below the threshold alone
    const failed = await Promise.all([fromBanned('wrong-1'), fromBanned('wrong-2')]);
    for (const { code } of failed) expect(code).not.toBe(0);
    await eventually(async () =>
      expect(
        server.logs.filter((l) => l.sender === 'connection_failed' && l.client_ip === BANNED_IP),
      ).toHaveLength(2),
    );
    await server.waitForLog((l) => l.sender === 'defender' && l.message === `banned ${BANNED_IP}`);
    const right = await fromBanned('pw-alice');
    expect(right.code).not.toBe(0);
    await eventually(async () =>
      expect(
        server.logs.filter((l) => l.message === `refused banned ${BANNED_IP}`).length,
      ).toBeGreaterThan(0),
    );
    // other addresses are served
    const other = await sftpBatch(server.sshPort, 'alice', 'pw-alice', 'pwd\n', local);
    expect(other.code, other.output).toBe(0);
  });

  it("holds an address's max_per_host_connections across workers", async () => {
    const sockets = await silentConnections(server.sshPort, CAPPED_IP, MAX_PER_HOST + 2);
    try {
      const open = () => sockets.filter((s) => !s.destroyed);
      expect(open()).toHaveLength(MAX_PER_HOST);
      // both workers hold some: neither could have counted them alone
      const owners = connectionOwners(server.sshPort, CAPPED_IP);
      expect(owners).toHaveLength(MAX_PER_HOST);
      for (const pid of workerPids(server)) expect(owners).toContain(pid);
      // the workers' lines reach the log through the main process
      await eventually(async () =>
        expect(
          server.logs.filter(
            (l) =>
              l.message ===
              `connection from ${CAPPED_IP} refused: ${MAX_PER_HOST} connections from this address are open, the limit of max_per_host_connections`,
          ),
        ).toHaveLength(2),
      );
      // other addresses are served meanwhile
      const other = await sftpBatch(server.sshPort, 'alice', 'pw-alice', 'pwd\n', local);
      expect(other.code, other.output).toBe(0);
      // closed connections are counted out: the address logs in again
      for (const socket of open()) socket.destroy();
      await eventually(async () => expect(connectionOwners(server.sshPort, CAPPED_IP)).toEqual([]));
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    const again = await sftpFrom(CAPPED_IP, 'pw-alice');
    expect(again.code, again.stderr).toBe(0);
  });

  it('replaces a worker killed with its sessions, which stop counting against max_sessions and max_per_host_connections', async () => {
    const first = held('single', 3);
    await eventually(async () => expect(await connections()).toHaveLength(1));
    const [victim] = connectionOwners(server.sshPort, '127.0.0.1');
    expect(workerPids(server)).toContain(victim);
    // the address's whole allowance, over both workers
    const capped = await silentConnections(server.sshPort, CAPPED_IP, MAX_PER_HOST);
    // closed whatever fails, so that the next test finds none of them open
    const opened = [...capped];
    try {
      const open = () => capped.filter((s) => !s.destroyed);
      expect(open()).toHaveLength(MAX_PER_HOST);
      const killed = connectionOwners(server.sshPort, CAPPED_IP).filter((p) => p === victim).length;
      expect(killed).toBeGreaterThan(0);
      expect(killed).toBeLessThan(MAX_PER_HOST);
      process.kill(victim as number, 'SIGKILL');
      expect((await first).code).not.toBe(0);
      await server.waitForLog(
        (l) =>
          String(l.message).startsWith(`SSH worker 0 (pid ${victim}) exited (SIGKILL)`) ||
          String(l.message).startsWith(`SSH worker 1 (pid ${victim}) exited (SIGKILL)`),
      );
      const restarted = await server.waitForLog((l) =>
        /^SSH worker \d started again \(pid \d+\)$/.test(String(l.message)),
      );
      const again = await sftpBatch(server.sshPort, 'single', 'pw-single', 'pwd\n', local);
      expect(again.code, again.output).toBe(0);
      // the client has gone: its connection leaves the list once its worker has seen it close
      await eventually(async () => expect(await connections()).toEqual([]));
      const newPid = Number(/pid (\d+)/.exec(String(restarted.message))?.[1]);
      expect(isRunning(newPid)).toBe(true);
      // the dead worker's connections of the address are counted out, the others' are not
      await eventually(async () => expect(open()).toHaveLength(MAX_PER_HOST - killed));
      const more = await silentConnections(server.sshPort, CAPPED_IP, killed + 1);
      opened.push(...more);
      expect(more.filter((s) => !s.destroyed)).toHaveLength(killed);
    } finally {
      for (const socket of opened) socket.destroy();
    }
    await eventually(async () => expect(connectionOwners(server.sshPort, CAPPED_IP)).toEqual([]));
  });

  it('stops every worker when the server stops', async () => {
    await eventually(async () => expect(connectionOwners(server.sshPort)).toEqual([]));
    // the server's children now: the workers, the replaced one among them
    const children = childPids(server.pid);
    const titles = children.map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    expect(titles.filter((t) => t.startsWith('sftpgo serve: SSH worker '))).toHaveLength(WORKERS);
    expect(await server.stop()).toBe(0);
    // named, if one is left, by its state line
    const left = children.filter(isRunning).map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        return `${pid} (gone since)`;
      }
    });
    expect(left).toEqual([]);
  });
});

describe('sftpd.workers with the memory provider', () => {
  it('refuses to start, saying why', async () => {
    const tmp = await makeTempDir();
    try {
      await writeFile(
        join(tmp.path, 'sftpgo.json'),
        JSON.stringify({ sftpd: { workers: 2 }, data_provider: { driver: 'memory' } }),
      );
      await expect(startServer(tmp.path)).rejects.toThrow(
        /sftpd\.workers.*the memory provider keeps its users in one process/,
      );
    } finally {
      await tmp.remove();
    }
  });
});
