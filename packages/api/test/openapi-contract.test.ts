// The OpenAPI document against the real API: every documented operation is
// called, with valid and invalid requests, on a real SQLite provider and a
// real backups directory; each answer's status must be documented for its
// operation, and its body must validate against the documented schema. And
// every route the application answers must be in the document.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ConnectionRegistry,
  createApi,
  Htpasswd,
  type HttpMethod,
  type OpenApiOperation,
  openApiDocument,
} from '@sftpgo/api';
import { type DataProvider, ManagedProvider, openSqliteProvider } from '@sftpgo/provider';
import { eventually, makeTempDir } from '@sftpgo/test-utils';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatedProvider, listen, migrationsDir, version } from './helpers.js';
import { schemaValidator } from './openapi-validator.js';

const doc = openApiDocument();
const validator = schemaValidator(doc);
const METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'delete'];

/**
 * The documented operation of a method and a path (without the server's
 * `/api/v1`); a trailing slash is ignored, as express routes do.
 */
function operationOf(method: HttpMethod, pathname: string) {
  for (const [template, item] of Object.entries(doc.paths)) {
    const pattern = new RegExp(
      `^${template.replace(/\{\w+\}/g, '[^/]+').replaceAll('.', '\\.')}/?$`,
    );
    const op = item[method];
    if (op && pattern.test(pathname)) return { template, op };
  }
  return undefined;
}

/** Statuses seen for each operation id. */
const seen = new Map<string, Set<number>>();

interface Server {
  readonly base: string;
}

interface CallOptions {
  /** A JSON body: checked against the documented request body when `valid`. */
  readonly body?: unknown;
  /** A body sent as is. */
  readonly raw?: string;
  readonly headers?: Record<string, string>;
  /** The request is valid as documented: its body must validate. */
  readonly valid?: boolean;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly op: OpenApiOperation;
}

/**
 * Calls `method path` on `server` and checks the answer against the
 * document: a documented status, and a body of the documented schema.
 */
async function call(
  server: Server,
  method: HttpMethod,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const where = `${method.toUpperCase()} ${path}`;
  const url = new URL(`${server.base}${path}`);
  const found = operationOf(method, url.pathname.slice('/api/v1'.length));
  expect(found, `${where}: not documented`).toBeDefined();
  const { op } = found as NonNullable<typeof found>;

  const documentedQuery = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
  for (const name of url.searchParams.keys()) {
    expect(documentedQuery, `${where}: query parameter ${name} not documented`).toContain(name);
  }
  const json = options.body !== undefined;
  if (json || options.raw !== undefined) {
    expect(op.requestBody, `${where}: a body that is not documented`).toBeDefined();
  }
  if (options.valid && json) {
    const schema = op.requestBody?.content['application/json']?.schema ?? {};
    expect(validator.problems(schema, options.body), `${where}: a valid request`).toEqual([]);
  }

  const res = await fetch(url, {
    method: method.toUpperCase(),
    headers: {
      ...(json || options.raw !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: json ? JSON.stringify(options.body) : options.raw,
  });
  const text = await res.text();
  const response = op.responses[String(res.status)];
  expect(response, `${where} answered ${res.status}, not documented: ${text}`).toBeDefined();
  expect(res.headers.get('content-type'), where).toMatch(/^application\/json; charset=utf-8$/);
  const body: unknown = JSON.parse(text);
  const schema = response?.content?.['application/json']?.schema ?? {};
  expect(validator.problems(schema, body), `${where} ${res.status}: ${text}`).toEqual([]);

  const statuses = seen.get(op.operationId) ?? new Set<number>();
  seen.set(op.operationId, statuses.add(res.status));
  return { status: res.status, body, op };
}

/** Calls and expects `status`. */
async function expectStatus(
  status: number,
  server: Server,
  method: HttpMethod,
  path: string,
  options?: CallOptions,
): Promise<Answer> {
  const answer = await call(server, method, path, options);
  expect(answer.status, `${method.toUpperCase()} ${path}: ${JSON.stringify(answer.body)}`).toBe(
    status,
  );
  return answer;
}

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let store: DataProvider;
let provider: GatedProvider;
let backups: string;
const closers: (() => Promise<void>)[] = [];
const internalErrors: unknown[] = [];
let main: Server;
let mainApp: Express;
let readOnly: Server;
let authenticated: Server;
let down: Server;

const connections = new Map([
  [
    'c0ffee',
    {
      username: 'alice',
      connection_id: 'c0ffee',
      client_version: 'SSH-2.0-OpenSSH_9.6',
      remote_address: '127.0.0.1:50022',
      connection_time: 1_700_000_000_000,
      last_activity: 1_700_000_001_000,
      protocol: 'SFTP',
      ssh_command: '',
      active_transfers: [
        {
          operation_type: 'upload',
          path: '/in/big.iso',
          start_time: 1_700_000_000_500,
          size: 1_048_576,
          last_activity: 1_700_000_001_000,
          speed: 2_097_152,
        },
      ],
    },
  ],
]);
const registry: ConnectionRegistry = {
  listConnections: () => [...connections.values()],
  closeConnection: (id) => connections.delete(id),
};

async function serve(app: Express): Promise<Server> {
  const server = await listen(app);
  closers.push(server.close);
  return server;
}

const userOf = (username: string, extra: object = {}) => ({
  username,
  password: `${username}-pw`,
  home_dir: join(tmp.path, 'homes', username),
  permissions: { '/': ['list', 'download'], '/in': ['upload'] },
  ...extra,
});

beforeAll(async () => {
  tmp = await makeTempDir();
  backups = join(tmp.path, 'backups');
  store = await openSqliteProvider({ path: join(tmp.path, 'contract.db'), migrationsDir });
  closers.push(() => store.close());
  provider = new GatedProvider(store, { manageUsers: true, usersBaseDir: '' });
  const onInternalError = (err: unknown) => internalErrors.push(err);

  mainApp = createApi({
    provider,
    version,
    connections: registry,
    backupsPath: backups,
    onInternalError,
  });
  main = await serve(mainApp);
  readOnly = await serve(
    createApi({
      provider: new ManagedProvider(store, { manageUsers: false, usersBaseDir: '' }),
      version,
      connections: registry,
      backupsPath: backups,
      quotaTracking: false,
      onInternalError,
    }),
  );
  const htpasswd = join(tmp.path, 'htpasswd');
  await writeFile(htpasswd, 'admin:$apr1$abcdefgh$0123456789abcdefghijkl\n');
  authenticated = await serve(
    createApi({
      provider,
      version,
      connections: registry,
      backupsPath: backups,
      htpasswd: await Htpasswd.load(htpasswd),
    }),
  );
  const closed = await openSqliteProvider({ path: join(tmp.path, 'down.db'), migrationsDir });
  await closed.close();
  down = await serve(
    createApi({
      provider: closed,
      version,
      connections: registry,
      backupsPath: await mkdtemp(join(tmp.path, 'down-backups-')),
      onInternalError: () => {}, // expected: the provider is down
    }),
  );
});

afterAll(async () => {
  provider.release();
  for (const close of closers.reverse()) await close();
  await tmp.remove();
});

describe('the OpenAPI document against the API', () => {
  it('serves itself', async () => {
    const { body } = await expectStatus(200, main, 'get', '/openapi.json');
    expect(body).toEqual(doc);
  });

  it('version and providerstatus', async () => {
    expect((await expectStatus(200, main, 'get', '/version')).body).toEqual(version);
    await expectStatus(200, main, 'get', '/providerstatus');
  });

  let aliceId = 0;
  it('POST /user', async () => {
    const alice = await expectStatus(200, main, 'post', '/user', {
      body: userOf('alice', { quota_files: 10 }),
      valid: true,
    });
    aliceId = (alice.body as { id: number }).id;
    await expectStatus(200, main, 'post', '/user', {
      body: userOf('bob', {
        public_keys: [
          'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
        ],
        filters: { allowed_ip: ['192.168.1.0/24'], denied_ip: [] },
        expiration_date: 1_900_000_000_000,
        status: 0,
      }),
      valid: true,
    });
    await expectStatus(409, main, 'post', '/user', { body: userOf('alice'), valid: true });
    await expectStatus(400, main, 'post', '/user', {
      body: { username: 'x y', home_dir: 'relative', permissions: {}, bogus: 1 },
    });
    await expectStatus(400, main, 'post', '/user', { raw: '{"username": ' });
    await expectStatus(400, main, 'post', '/user', { raw: '[]' });
    await expectStatus(413, main, 'post', '/user', {
      body: userOf('huge', { password: 'x'.repeat(1_100_000) }),
    });
    await expectStatus(415, main, 'post', '/user', {
      raw: JSON.stringify(userOf('latin')),
      headers: { 'content-type': 'application/json; charset=latin1' },
    });
    await expectStatus(403, readOnly, 'post', '/user', { body: userOf('refused'), valid: true });
  });

  it('GET /user', async () => {
    const { body } = await expectStatus(200, main, 'get', '/user');
    expect((body as { username: string }[]).map((u) => u.username)).toEqual(['alice', 'bob']);
    await expectStatus(200, main, 'get', '/user?limit=1&offset=1&order=DESC&username=bob');
    await expectStatus(200, readOnly, 'get', '/user');
    for (const query of ['limit=x', 'offset=-1', 'order=up']) {
      await expectStatus(400, main, 'get', `/user?${query}`);
    }
  });

  it('GET /user/{userID}', async () => {
    await expectStatus(200, main, 'get', `/user/${aliceId}`);
    await expectStatus(400, main, 'get', '/user/abc');
    await expectStatus(404, main, 'get', '/user/987654');
  });

  it('PUT /user/{userID}', async () => {
    await expectStatus(200, main, 'put', `/user/${aliceId}`, {
      body: { max_sessions: 2 },
      valid: true,
    });
    await expectStatus(200, main, 'put', `/user/${aliceId}`, {
      body: { id: aliceId, permissions: { '/': ['*'] } },
      valid: true,
    });
    await expectStatus(400, main, 'put', `/user/${aliceId}`, { body: { id: aliceId + 1 } });
    await expectStatus(400, main, 'put', `/user/${aliceId}`, { body: { home_dir: 'rel' } });
    await expectStatus(400, main, 'put', '/user/abc', { body: { max_sessions: 1 } });
    await expectStatus(404, main, 'put', '/user/987654', { body: { max_sessions: 1 } });
    await expectStatus(409, main, 'put', `/user/${aliceId}`, { body: { username: 'bob' } });
    await expectStatus(413, main, 'put', `/user/${aliceId}`, {
      body: { password: 'x'.repeat(1_100_000) },
    });
    await expectStatus(403, readOnly, 'put', `/user/${aliceId}`, { body: { max_sessions: 3 } });
  });

  it('connections', async () => {
    const { body } = await expectStatus(200, main, 'get', '/connection');
    expect(body).toHaveLength(1);
    await expectStatus(404, main, 'delete', '/connection/unknown');
    await expectStatus(200, main, 'delete', '/connection/c0ffee');
    expect((await expectStatus(200, main, 'get', '/connection')).body).toEqual([]);
  });

  it('quota scans', async () => {
    await mkdir(join(tmp.path, 'homes/alice'), { recursive: true });
    await writeFile(join(tmp.path, 'homes/alice/file'), 'abc');
    provider.hold();
    await expectStatus(201, main, 'post', '/quota_scan', {
      body: { username: 'alice' },
      valid: true,
    });
    const { body } = await expectStatus(200, main, 'get', '/quota_scan');
    expect(body).toMatchObject([{ username: 'alice' }]);
    await expectStatus(409, main, 'post', '/quota_scan', {
      body: { username: 'alice', home_dir: '/ignored' },
      valid: true,
    });
    provider.release();
    await eventually(async () => expect((await call(main, 'get', '/quota_scan')).body).toEqual([]));
    expect((await store.getUserByUsername('alice'))?.used_quota_size).toBe(3);

    await expectStatus(404, main, 'post', '/quota_scan', { body: { username: 'nobody' } });
    await expectStatus(400, main, 'post', '/quota_scan', { raw: '{' });
    await expectStatus(400, main, 'post', '/quota_scan', { body: { username: 7 } });
    await expectStatus(404, main, 'post', '/quota_scan', { body: { user: 'alice' } });
    await expectStatus(413, main, 'post', '/quota_scan', {
      body: { username: 'x'.repeat(1_100_000) },
    });
    await expectStatus(415, main, 'post', '/quota_scan', {
      raw: '{"username":"alice"}',
      headers: { 'content-type': 'application/json; charset=latin1' },
    });
    await expectStatus(201, readOnly, 'post', '/quota_scan', { body: { username: 'alice' } });
  });

  it('dumpdata', async () => {
    await expectStatus(200, main, 'get', '/dumpdata?output_file=contract.json');
    await expectStatus(200, main, 'get', '/dumpdata?output_file=pretty.json&indent=1');
    await expectStatus(200, readOnly, 'get', '/dumpdata?output_file=ro.json&indent=0');
    for (const query of [
      '',
      'output_file=',
      'output_file=..%2Fx.json',
      'output_file=%2Fetc%2Fx.json',
      'output_file=x.json%00',
    ]) {
      await expectStatus(400, main, 'get', `/dumpdata${query ? `?${query}` : ''}`);
    }
  });

  it('loaddata', async () => {
    await expectStatus(200, main, 'get', '/loaddata?input_file=contract.json');
    await expectStatus(200, main, 'get', '/loaddata?input_file=contract.json&mode=1&scan_quota=1');
    await expectStatus(
      200,
      main,
      'get',
      '/loaddata?input_file=contract.json&mode=2&scan_quota=2&replace=1',
    );
    await eventually(async () => expect((await call(main, 'get', '/quota_scan')).body).toEqual([]));
    await writeFile(join(backups, 'broken.json'), '{"users": [');
    await writeFile(
      join(backups, 'invalid.json'),
      JSON.stringify({ users: [userOf('carl', { home_dir: 'relative' })] }),
    );
    for (const query of [
      '',
      'input_file=..%2Fcontract.json',
      'input_file=missing.json',
      'input_file=broken.json',
      'input_file=invalid.json',
      'input_file=contract.json&mode=x',
      'input_file=contract.json&replace=2',
      'input_file=contract.json&scan_quota=x',
    ]) {
      await expectStatus(400, main, 'get', `/loaddata${query ? `?${query}` : ''}`);
    }
    await expectStatus(403, readOnly, 'get', '/loaddata?input_file=contract.json');
  });

  it('DELETE /user/{userID}', async () => {
    await expectStatus(403, readOnly, 'delete', `/user/${aliceId}`);
    await expectStatus(200, main, 'delete', `/user/${aliceId}`);
    await expectStatus(404, main, 'delete', `/user/${aliceId}`);
    await expectStatus(400, main, 'delete', '/user/-1');
  });

  it('answers 401 to every operation without credentials when auth_user_file is set', async () => {
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        if (!item[method]) continue;
        const path = template.replace(/\{\w+\}/g, '1');
        await expectStatus(401, authenticated, method, path, {
          headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` },
        });
      }
    }
  });

  it('answers 500 where the provider is needed and down', async () => {
    const user = { body: userOf('zed'), valid: true };
    await expectStatus(500, down, 'get', '/providerstatus');
    await expectStatus(500, down, 'get', '/user');
    await expectStatus(500, down, 'post', '/user', user);
    await expectStatus(500, down, 'get', '/user/1');
    await expectStatus(500, down, 'put', '/user/1', { body: { max_sessions: 1 }, valid: true });
    await expectStatus(500, down, 'delete', '/user/1');
    await expectStatus(500, down, 'post', '/quota_scan', { body: { username: 'zed' } });
    await expectStatus(500, down, 'get', '/dumpdata?output_file=x.json');
  });

  it('exercised every operation with a valid and an invalid request', () => {
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const statuses = [...(seen.get(op.operationId) ?? [])];
        const where = `${method.toUpperCase()} ${template}: ${statuses.join(', ')}`;
        expect(
          statuses.some((s) => s >= 200 && s < 300),
          where,
        ).toBe(true);
        expect(
          statuses.some((s) => s >= 400 && s < 500),
          where,
        ).toBe(true);
      }
    }
  });

  it('reported no internal error', () => {
    expect(internalErrors).toEqual([]);
  });
});

interface RouterLayer {
  readonly rawPath?: unknown;
  readonly route?: { readonly path: string; readonly methods: Record<string, boolean> };
  readonly handle?: { readonly stack?: readonly RouterLayer[] };
}

/** `METHOD /path` of every route of the express app, params written `{}`. */
function registeredRoutes(app: Express): string[] {
  const routes: string[] = [];
  const walk = (stack: readonly RouterLayer[], prefix: string) => {
    for (const layer of stack) {
      const raw = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') routes.push(`${method} ${prefix}${layer.route.path}`);
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, `${prefix}${raw}`);
      }
    }
  };
  walk((app.router as unknown as { stack: RouterLayer[] }).stack, '');
  return routes.map((r) => r.replace(/:\w+/g, '{}'));
}

describe('the routes of the API', () => {
  const documented = Object.entries(doc.paths)
    .flatMap(([template, item]) =>
      METHODS.filter((m) => item[m]).map((m) => `${m} /api/v1${template}`),
    )
    .map((r) => r.replace(/\{\w+\}/g, '{}'))
    .sort();

  it('are all documented, and every documented operation is a route', () => {
    const registered = registeredRoutes(mainApp)
      .filter((r) => r.split(' ')[1]?.startsWith('/api/v1/'))
      .sort();
    expect(registered.length).toBeGreaterThan(10);
    expect(registered).toEqual(documented);
  });

  it('answer 405 to a method the document does not have on one of its paths', async () => {
    for (const path of Object.keys(doc.paths).map((t) => t.replace(/\{\w+\}/g, '1'))) {
      for (const method of [...METHODS, 'patch'] as const) {
        if (method !== 'patch' && operationOf(method, path)) continue;
        const res = await fetch(`${main.base}${path}`, {
          method: method.toUpperCase(),
          headers: { 'content-type': 'application/json' },
          body: method === 'get' || method === 'delete' ? undefined : '{}',
        });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(await res.json(), `${method} ${path}`).toEqual({
          error: '',
          message: 'Method not allowed',
          status: 405,
        });
      }
    }
  });

  it('answer the generic 404 to every method of a path the document does not have', async () => {
    const probes = [
      '',
      '/',
      '/users',
      '/user/1/extra',
      '/quota_scan/alice',
      '/dumpdata/x',
      '/openapi.yaml',
      '/status',
    ];
    for (const path of probes) {
      for (const method of [...METHODS, 'patch'] as const) {
        const res = await fetch(`${main.base}${path}`, {
          method: method.toUpperCase(),
          headers: { 'content-type': 'application/json' },
          body: method === 'get' || method === 'delete' ? undefined : '{}',
        });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(await res.json(), `${method} ${path}`).toEqual({
          error: '',
          message: 'Not Found',
          status: 404,
        });
      }
    }
  });
});
