import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  createTestDatabase,
  databaseServerUrl,
  eventually,
  freePort,
  hasCommand,
  makeTempDir,
  type TestDatabase,
} from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientProcesses } from './client-process.js';
import { runWithPassword, sftpBatch, sshPasswordOptions } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

// The client connects from 127.0.0.2 and HAProxy to the nodes from
// 127.0.0.1: a node that logs or filters 127.0.0.1 took the proxy's address.
const CLIENT_IP = '127.0.0.2';
const FILES = 10;
const sizeOf = (i: number) => (i + 1) * 10_000;

const { url, skipReason } = databaseServerUrl('postgresql');
if (skipReason) console.warn(`haproxy end-to-end tests skipped: ${skipReason}`);
const hasTools = hasCommand('sftp') && hasCommand('sshpass') && hasCommand('haproxy');

/** The configuration of a TCP balancer sending PROXY v2 headers to `nodePorts`. */
function haproxyConfig(port: number, nodePorts: readonly number[]): string {
  return [
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    // a connection refused by a node not yet seen down goes to the other one
    '  retries 2',
    '  option redispatch 1',
    'frontend sftp',
    `  bind 127.0.0.1:${port}`,
    '  default_backend nodes',
    'backend nodes',
    '  balance roundrobin',
    '  source 127.0.0.1',
    ...nodePorts.map(
      (p, i) => `  server node${i + 1} 127.0.0.1:${p} send-proxy-v2 check inter 500 fall 1 rise 1`,
    ),
    '',
  ].join('\n');
}

describe.runIf(url !== undefined && hasTools)('two nodes on one database behind haproxy', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: TestDatabase | undefined;
  let local: string;
  let balancerPort: number;
  const nodes: { server: ServerProcess; api: string }[] = [];
  const clients = new ClientProcesses(
    () => local,
    () => ({}),
  );

  beforeAll(async () => {
    tmp = await makeTempDir();
    local = join(tmp.path, 'local');
    await mkdir(local);
    for (let i = 0; i < FILES; i++) {
      await writeFile(join(local, `file-${i}.bin`), Buffer.alloc(sizeOf(i), i));
    }
    db = await createTestDatabase('postgresql', url as URL);
    const dataProvider = {
      driver: 'postgresql',
      name: db.name,
      host: db.host,
      port: db.port,
      username: db.username,
      password: db.password,
    };
    const sftpd = { proxy_protocol: 2, proxy_allowed: ['127.0.0.1'] };
    // one after the other: the first creates the schema, the second finds it
    for (const name of ['node-1', 'node-2']) {
      await mkdir(join(tmp.path, name));
      nodes.push(await startLoopbackServer(join(tmp.path, name), sftpd, dataProvider));
    }
    const [first] = nodes;
    if (!first) throw new Error('no node started');
    for (const [username, allowed_ip] of [
      ['alice', []],
      ['near', [`${CLIENT_IP}/32`]],
      ['far', ['127.0.0.1/32']],
      ['uploader', []],
    ] as const) {
      await addUser(first.api, {
        username,
        password: `pw-${username}`,
        home_dir: join(tmp.path, 'homes', username),
        permissions: { '/': ['*'] },
        quota_files: 1000,
        filters: { allowed_ip, denied_ip: [] },
      });
    }

    balancerPort = await freePort();
    const config = join(tmp.path, 'haproxy.cfg');
    await writeFile(
      config,
      haproxyConfig(
        balancerPort,
        nodes.map((n) => n.server.sshPort),
      ),
    );
    const haproxy = clients.start('haproxy', ['-db', '-f', config]);
    let stderr = '';
    haproxy.stderr?.on('data', (d) => {
      stderr += d;
    });
    await eventually(async () => {
      expect(haproxy.exitCode, stderr).toBe(null);
      await new Promise<void>((resolve, reject) => {
        const socket = connect(balancerPort, '127.0.0.1', () => {
          socket.destroy();
          resolve();
        }).once('error', reject);
      });
    });
  });

  afterAll(async () => {
    clients.killAll();
    await Promise.all(nodes.map((n) => n.server.stop()));
    killAllServers();
    await db?.drop();
    await tmp?.remove();
  });

  /** OpenSSH's sftp through the balancer, from {@link CLIENT_IP}. */
  const balancedSftp = (user: string, batch: string) =>
    runWithPassword(
      `pw-${user}`,
      'sftp',
      [
        ...sshPasswordOptions(balancerPort).map((o) => (o === '-p' ? '-P' : o)),
        `-oBindAddress=${CLIENT_IP}`,
        '-b',
        '-',
        `${user}@127.0.0.1`,
      ],
      { cwd: local, input: batch },
    );

  const loginsOf = (server: ServerProcess, username: string) =>
    server.logs.filter(
      (l) => l.username === username && String(l.message).includes(', logged in with: '),
    );

  async function connectionsOf(api: string, username: string) {
    const list = (await (await fetch(`${api}/connection`)).json()) as Record<string, unknown>[];
    return list.filter((c) => c.username === username);
  }

  it('spreads logins over both nodes, which log and list the real client address', async () => {
    for (let i = 0; i < 4; i++) {
      const { code, stderr } = await balancedSftp('alice', 'pwd\n');
      expect(code, stderr).toBe(0);
    }
    for (const { server } of nodes) {
      await eventually(async () => expect(loginsOf(server, 'alice')).toHaveLength(2));
      for (const line of loginsOf(server, 'alice')) {
        expect(line).toMatchObject({ client_ip: CLIENT_IP, login_type: 'password' });
        expect(line.message).toMatch(/remote addr: "127\.0\.0\.2:\d+"$/);
      }
    }

    // `!sleep` runs locally, holding the logged-in session open meanwhile
    const held = balancedSftp('alice', 'pwd\n!sleep 3\n');
    await eventually(async () => {
      const lists = await Promise.all(nodes.map((n) => connectionsOf(n.api, 'alice')));
      expect(lists.flat()).toEqual([
        expect.objectContaining({ remote_address: expect.stringMatching(/^127\.0\.0\.2:\d+$/) }),
      ]);
    });
    expect((await held).code).toBe(0);
  });

  it("applies a user's allowed_ip to the real client address", async () => {
    const near = await balancedSftp('near', 'pwd\n');
    expect(near.code, near.stderr).toBe(0);
    const far = await balancedSftp('far', 'pwd\n');
    expect(far.code).not.toBe(0);
    await eventually(async () => {
      const failures = nodes.flatMap((n) =>
        n.server.logs.filter((l) => l.sender === 'connection_failed' && l.username === 'far'),
      );
      expect(failures).toEqual([
        expect.objectContaining({
          client_ip: CLIENT_IP,
          error: `login from ${CLIENT_IP} is not allowed`,
        }),
      ]);
    });
  });

  it('refuses a direct connection that sends no PROXY header, and logs why', async () => {
    const server = nodes[0]?.server;
    if (!server) throw new Error('no node started');
    const direct = await sftpBatch(server.sshPort, 'alice', 'pw-alice', 'pwd\n', local);
    expect(direct.code).not.toBe(0);
    // the only refusal: the balancer's health checks are no refused connections
    await eventually(async () => {
      expect(server.logs.filter((l) => String(l.message).startsWith('connection from '))).toEqual([
        expect.objectContaining({
          level: 'warn',
          sender: 'sftpd',
          message: 'connection from 127.0.0.1 refused: no PROXY header',
        }),
      ]);
    });
  });

  it("keeps a user's quota exact when both nodes take uploads at once", async () => {
    const batch = (prefix: string) =>
      Array.from({ length: FILES }, (_, i) => `put file-${i}.bin ${prefix}-${i}.bin\n`).join('');
    const sessions = await Promise.all(['a', 'b'].map((p) => balancedSftp('uploader', batch(p))));
    for (const { code, stderr } of sessions) expect(code, stderr).toBe(0);
    // two sessions opened at once: round robin gives one to each node
    for (const { server } of nodes) {
      await eventually(async () =>
        expect(
          server.logs.filter((l) => l.sender === 'Upload' && l.username === 'uploader'),
        ).toHaveLength(FILES),
      );
    }
    const total = 2 * Array.from({ length: FILES }, (_, i) => sizeOf(i)).reduce((a, b) => a + b);
    for (const { api } of nodes) {
      await eventually(async () => {
        const [user] = (await (await fetch(`${api}/user?username=uploader`)).json()) as unknown[];
        expect(user).toMatchObject({ used_quota_files: 2 * FILES, used_quota_size: total });
      });
    }
  });

  it('keeps serving through the other node once one is killed', async () => {
    const [killed, survivor] = nodes;
    if (!killed || !survivor) throw new Error('two nodes expected');
    // one session on each node, open while a node dies: the one there fails its `ls`
    const held = [1, 2].map(() => balancedSftp('near', 'pwd\n!sleep 2\nls\n'));
    for (const { api } of nodes) {
      await eventually(async () => expect(await connectionsOf(api, 'near')).toHaveLength(1));
    }
    await killed.server.stop('SIGKILL');

    const before = loginsOf(survivor.server, 'alice').length;
    for (let i = 0; i < 4; i++) {
      const { code, stderr } = await balancedSftp('alice', 'pwd\n');
      expect(code, stderr).toBe(0);
    }
    await eventually(async () =>
      expect(loginsOf(survivor.server, 'alice')).toHaveLength(before + 4),
    );
    const codes = (await Promise.all(held)).map((r) => r.code);
    expect(codes.filter((c) => c === 0)).toHaveLength(1);
  });
});
