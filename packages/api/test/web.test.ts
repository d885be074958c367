import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Htpasswd } from '@sftpgo/api';
import { type DataProvider, openSqliteProvider } from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_HASH, AUTH, Client, closeWeb, listenWeb, userFields } from './web-client.js';

const migrationsDir = fileURLToPath(new URL('../../../sql/sqlite/', import.meta.url));
const version = { version: '1.2.3', build_date: '2026-11-28T00:00:00Z', commit_hash: 'abc1234' };

/** An ed25519 public key as an authorized_keys line. */
function publicKeyLine(): string {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const raw = der.subarray(der.length - 32);
  const str = (b: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    return Buffer.concat([length, b]);
  };
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')} test@web`;
}

/** A live connection as the SSH service lists it. */
function connection(id: string, username: string) {
  const now = Date.now();
  return {
    username,
    connection_id: id,
    client_version: 'SSH-2.0-test_client',
    remote_address: '127.0.0.1:50022',
    connection_time: now - 60_000,
    last_activity: now,
    protocol: 'SFTP',
    ssh_command: '',
    active_transfers: [
      {
        operation_type: 'upload',
        path: '/big.bin',
        start_time: now - 1000,
        size: 2048,
        last_activity: now,
        speed: 2048,
      },
    ],
  };
}

const live = new Map<string, ReturnType<typeof connection>>();
const registry = {
  listConnections: () => [...live.values()],
  closeConnection: (id: string) => live.delete(id),
};

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
let server: Server | undefined;
let base: string;

beforeAll(async () => {
  tmp = await makeTempDir();
  provider = await openSqliteProvider({ path: join(tmp.path, 'web.db'), migrationsDir });
  await writeFile(join(tmp.path, 'htpasswd'), `admin:${ADMIN_HASH}\n`);
  const htpasswd = await Htpasswd.load(join(tmp.path, 'htpasswd'));
  ({ server, base } = await listenWeb({
    provider,
    version,
    htpasswd,
    connections: registry,
    web: {},
  }));
});

afterAll(async () => {
  await closeWeb(server);
  await provider?.close();
  await tmp?.remove();
});

describe('web admin: routing and authentication', () => {
  it('redirects / and /web to the users', async () => {
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.status).toBe(301);
    expect(root.headers.get('location')).toBe('/web/users');
    const web = await new Client(base).get('/web');
    expect(web.status).toBe(301);
    expect(web.headers.get('location')).toBe('/web/users');
  });

  it('asks for the API credentials on /web, answering plain text', async () => {
    for (const auth of [false as const, `Basic ${Buffer.from('admin:wrong').toString('base64')}`]) {
      const res = await new Client(base, auth).get('/web/users');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="SFTPGo Web"');
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toBe('Unauthorized');
    }
    const post = await new Client(base, false).post('/web/user', userFields('intruder'));
    expect(post.status).toBe(401);
    expect(await provider.getUserByUsername('intruder')).toBeUndefined();
  });

  it('serves the static files without credentials', async () => {
    const res = await fetch(`${base}/static/sftpgo.css`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await res.text()).toContain(':focus-visible');
  });

  it('renders the pages as HTML with protective headers', async () => {
    const client = new Client(base);
    for (const path of ['/web/users', '/web/user', '/web/connections']) {
      const res = await client.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('cache-control')).toBe('no-store');
      const html = await res.text();
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain('<link rel="stylesheet" href="/static/sftpgo.css">');
      expect(html).toContain('SFTPGo 1.2.3');
    }
    const users = await client.page('/web/users');
    expect(users).toContain('No users yet.');
    expect(users).toContain('<a href="/web/users" aria-current="page">Users</a>');
    const form = await client.page('/web/user');
    expect(form).toContain('<label for="username">');
    expect(form).toContain('<legend>Permissions</legend>');
  });

  it('answers an unknown page with an HTML 404', async () => {
    const res = await new Client(base).get('/web/nope');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('<h1>Not found</h1>');
    expect((await new Client(base).get('/web/user/999999')).status).toBe(404);
    expect((await new Client(base).get('/web/user/abc')).status).toBe(404);
  });
});

describe('web admin: cross-site request forgery', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and a token in the forms', async () => {
    const res = await new Client(base).get('/web/user');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sftpgo_csrf='));
    expect(cookie).toMatch(/; Path=\/web/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(await res.text()).toMatch(/<input type="hidden" name="_csrf" value="[\w-]{43}">/);
  });

  it('refuses a post without a token, with a wrong one, or from another origin', async () => {
    const client = new Client(base);
    const token = await client.token();
    const refused = [
      await client.post('/web/user', userFields('mallory')),
      await client.post('/web/user', { ...userFields('mallory'), _csrf: `${token.slice(1)}x` }),
      await client.post('/web/user', { ...userFields('mallory'), _csrf: '' }),
      await client.post(
        '/web/user',
        { ...userFields('mallory'), _csrf: token },
        { origin: 'https://evil.example' },
      ),
      await client.post(
        '/web/user',
        { ...userFields('mallory'), _csrf: token },
        { origin: 'null' },
      ),
      // the token of another browser's session
      await new Client(base).post('/web/user', { ...userFields('mallory'), _csrf: token }),
    ];
    for (const res of refused) {
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('Nothing was changed');
    }
    expect(await provider.getUserByUsername('mallory')).toBeUndefined();
    // the same token with the same-origin header goes through
    const ok = await client.post(
      '/web/user',
      { ...userFields('mallory'), _csrf: token },
      { origin: base },
    );
    expect(ok.status).toBe(303);
    const mallory = await provider.getUserByUsername('mallory');
    expect(mallory).toBeDefined();
    await provider.deleteUser(mallory?.id as number);
  });

  it('protects the delete and close forms too', async () => {
    const user = await provider.addUser({
      username: 'kept',
      password: ADMIN_HASH,
      home_dir: '/srv/kept',
      permissions: { '/': ['*'] },
    });
    live.set('c0ffee', connection('c0ffee', 'kept'));
    const client = new Client(base);
    expect((await client.post(`/web/user/${user.id}/delete`, {})).status).toBe(403);
    expect((await client.post('/web/connection/c0ffee/close', {})).status).toBe(403);
    expect(await provider.getUserById(user.id)).toBeDefined();
    expect(live.has('c0ffee')).toBe(true);
    live.delete('c0ffee');
    await provider.deleteUser(user.id);
  });
});

describe('web admin: users', () => {
  const key = publicKeyLine();

  it('adds a user through the form, with every field', async () => {
    const client = new Client(base);
    const res = await client.post('/web/user', {
      ...userFields('alice', {
        status: '0',
        expiration_date: '2031-05-17',
        public_keys: `${key}\n`,
        uid: '1001',
        gid: '1002',
        max_sessions: '2',
        quota_size: '1048576',
        quota_files: '100',
        upload_bandwidth: '500',
        download_bandwidth: '800',
        permissions_root: ['list', 'download', 'upload'],
        permissions_dirs: '/incoming: list, upload\n"/odd: name": *\n/private:\n',
        allowed_ip: '192.168.1.0/24\n10.0.0.0/8',
        denied_ip: '192.168.1.13/32',
      }),
      _csrf: await client.token(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/web/users');
    const alice = await provider.getUserByUsername('alice');
    expect(alice).toMatchObject({
      status: 0,
      home_dir: '/srv/alice',
      expiration_date: Date.UTC(2031, 4, 17),
      public_keys: [key],
      uid: 1001,
      gid: 1002,
      max_sessions: 2,
      quota_size: 1048576,
      quota_files: 100,
      upload_bandwidth: 500,
      download_bandwidth: 800,
      permissions: {
        '/': ['list', 'download', 'upload'],
        '/incoming': ['list', 'upload'],
        '/odd: name': ['*'],
        '/private': [],
      },
      filters: { allowed_ip: ['192.168.1.0/24', '10.0.0.0/8'], denied_ip: ['192.168.1.13/32'] },
    });
    expect(alice?.password).toMatch(/^\$argon2id\$/);

    const list = await client.page('/web/users');
    expect(list).toContain('<p class="notice" role="status">User &quot;alice&quot; added.</p>');
    expect(list).toMatch(/<a href="\/web\/user\/\d+">alice<\/a>/);
    expect(list).toContain('<td>Disabled</td>');
    expect(list).toContain('2031-05-17');
    // the notice is shown once
    expect(await client.page('/web/users')).not.toContain('added.');
  });

  it('shows each problem next to its field, keeping the values but not the password', async () => {
    const client = new Client(base);
    const res = await client.post('/web/user', {
      ...userFields('bad name!', {
        password: 'typed-secret',
        home_dir: 'relative/home',
        quota_size: 'lots',
        expiration_date: '2031-02-30',
        permissions_root: [],
        permissions_dirs: '/sub: fly\nno colon here',
        allowed_ip: '10.0.0.300/8',
      }),
      _csrf: await client.token(),
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    const errorsOf = (field: string) =>
      new RegExp(`<ul class="field-errors" id="${field}-error">([\\s\\S]*?)</ul>`).exec(html)?.[1];
    expect(errorsOf('username')).toContain('may contain only letters, digits');
    expect(errorsOf('home_dir')).toContain('must be an absolute path');
    expect(errorsOf('quota_size')).toContain('must be a whole number');
    expect(errorsOf('expiration_date')).toContain('YYYY-MM-DD');
    expect(errorsOf('permissions_root')).toContain('grant at least one permission');
    expect(errorsOf('permissions_dirs')).toContain('line 1: invalid permission &quot;fly&quot;');
    expect(errorsOf('permissions_dirs')).toContain('line 2: expected');
    expect(errorsOf('allowed_ip')).toContain(
      '&quot;10.0.0.300/8&quot;: must be an IP/mask in CIDR notation',
    );
    expect(html).toMatch(/id="username" name="username" value="bad name!"[^>]*aria-invalid="true"/);
    expect(html).toContain('aria-describedby="username-hint username-error"');
    expect(html).toContain('value="relative/home"');
    expect(html).toContain('value="lots"');
    expect(html).toContain('>/sub: fly\nno colon here</textarea>');
    expect(html).not.toContain('typed-secret');
    expect(html).toContain('type it once more');
    expect(html).toContain('class="error-summary" role="alert"');
    expect(await provider.getUserByUsername('bad name!')).toBeUndefined();
  });

  it('asks for a password or a key, and refuses a taken username', async () => {
    const client = new Client(base);
    const token = await client.token();
    const noCredentials = await client.post('/web/user', {
      ...userFields('nobody', { password: '' }),
      _csrf: token,
    });
    expect(noCredentials.status).toBe(400);
    expect(await noCredentials.text()).toMatch(
      /id="password-error">[\s\S]*please set a password or at least a public_key/,
    );
    const taken = await client.post('/web/user', { ...userFields('alice'), _csrf: token });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toMatch(/id="username-error">[\s\S]*alice/);
  });

  it('refuses a password that starts like a hash and is not one, next to the field', async () => {
    const client = new Client(base);
    const res = await client.post('/web/user', {
      ...userFields('prehashed', { password: '$2a$10$invalidhash' }),
      _csrf: await client.token(),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(
      /id="password-error">[\s\S]*starts with \$2a\$, the prefix of bcrypt hashes, but is not a valid bcrypt hash/,
    );
    expect(await provider.getUserByUsername('prehashed')).toBeUndefined();
  });

  it('escapes what users typed', async () => {
    const client = new Client(base);
    const res = await client.post('/web/user', {
      ...userFields('<script>alert(1)</script>', { home_dir: '"><img src=x onerror=alert(1)>' }),
      _csrf: await client.token(),
    });
    const html = await res.text();
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('does not read a JSON body, whose fields could be any JSON value: 403, storing nothing', async () => {
    // the JSON parser is the API's alone: the CSRF token of a JSON body is not seen
    const client = new Client(base);
    const token = await client.token();
    const odd = { toString: 'not a function' };
    for (const fields of [
      { username: [odd] },
      { username: ['odd'], permissions_root: [odd] },
      { username: ['odd'], status: [1], uid: [null] },
    ]) {
      const res = await fetch(`${base}/web/user`, {
        method: 'POST',
        headers: {
          authorization: AUTH,
          cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ ...userFields('odd'), ...fields, _csrf: token }),
        redirect: 'manual',
      });
      expect(res.status, JSON.stringify(fields)).toBe(403);
    }
    expect(await provider.getUserByUsername('odd')).toBeUndefined();
  });

  it('edits a user, an empty password keeping the stored one', async () => {
    const before = await provider.getUserByUsername('alice');
    if (!before) throw new Error('alice is missing');
    const client = new Client(base);
    const form = await client.page(`/web/user/${before.id}`);
    expect(form).toContain('<h1>Edit user alice</h1>');
    expect(form).toContain('value="/srv/alice"');
    expect(form).toContain('value="2031-05-17"');
    expect(form).toContain('>/incoming: list,upload\n/odd: name: *\n/private:</textarea>');
    expect(form).toMatch(/value="upload" checked>/);
    expect(form).toContain('Leave empty to keep the current password.');
    expect(form).not.toContain(before.password);

    const res = await client.post(`/web/user/${before.id}`, {
      ...userFields('alice', {
        password: '',
        status: '1',
        expiration_date: '2031-05-17',
        home_dir: '/srv/alice2',
        public_keys: key,
        permissions_root: ['*'],
        permissions_dirs: '/incoming: list,upload',
      }),
      _csrf: /name="_csrf" value="([^"]+)"/.exec(form)?.[1] as string,
    });
    expect(res.status).toBe(303);
    const after = await provider.getUserById(before.id);
    expect(after).toMatchObject({
      username: 'alice',
      status: 1,
      home_dir: '/srv/alice2',
      expiration_date: before.expiration_date,
      permissions: { '/': ['*'], '/incoming': ['list', 'upload'] },
      filters: { allowed_ip: [], denied_ip: [] },
    });
    expect(after?.password).toBe(before.password);
    expect(await client.page('/web/users')).toContain('User &quot;alice&quot; updated.');

    // a new password replaces it
    await client.post(`/web/user/${before.id}`, {
      ...userFields('alice', { public_keys: key }),
      _csrf: await client.token(),
    });
    expect((await provider.getUserById(before.id))?.password).not.toBe(before.password);
  });

  it('deletes a user after asking', async () => {
    const alice = await provider.getUserByUsername('alice');
    if (!alice) throw new Error('alice is missing');
    const client = new Client(base);
    const confirm = await client.page(`/web/user/${alice.id}/delete`);
    expect(confirm).toContain('<h1>Delete user alice?</h1>');
    expect(confirm).toContain(`<form method="post" action="/web/user/${alice.id}/delete"`);
    const token = /name="_csrf" value="([^"]+)"/.exec(confirm)?.[1] as string;
    const res = await client.post(`/web/user/${alice.id}/delete`, { _csrf: token });
    expect(res.status).toBe(303);
    expect(await provider.getUserById(alice.id)).toBeUndefined();
    expect(await client.page('/web/users')).toContain('User &quot;alice&quot; deleted.');
    const again = await client.post(`/web/user/${alice.id}/delete`, { _csrf: token });
    expect(again.status).toBe(404);
  });

  it('pages through the users and searches them', async () => {
    for (let i = 0; i < 30; i++) {
      await provider.addUser({
        username: `user-${String(i).padStart(2, '0')}`,
        password: ADMIN_HASH,
        home_dir: `/srv/user-${i}`,
        permissions: { '/': ['list'] },
      });
    }
    const client = new Client(base);
    const first = await client.page('/web/users');
    expect(first.match(/<th scope="row">/g)).toHaveLength(25);
    expect(first).toContain('user-00');
    expect(first).not.toContain('user-25');
    expect(first).toContain('<a href="/web/users?page=2" rel="next">Next page</a>');
    expect(first).not.toContain('rel="prev"');
    const second = await client.page('/web/users?page=2');
    expect(second.match(/<th scope="row">/g)).toHaveLength(5);
    expect(second).toContain('user-29');
    expect(second).toContain('<a href="/web/users" rel="prev">Previous page</a>');

    const found = await client.page('/web/users?search=USER-1');
    expect(found.match(/<th scope="row">/g)).toHaveLength(10);
    expect(found).toContain('value="USER-1"');
    expect(found).toContain('whose name contains &quot;USER-1&quot;');
    expect(await client.page('/web/users?search=zzz')).toContain(
      'No user name contains &quot;zzz&quot;.',
    );
  });
});

describe('web admin: connections', () => {
  it('lists the live connections with their transfers, and closes one after asking', async () => {
    live.set('0123456789abcdef', connection('0123456789abcdef', 'dave'));
    const client = new Client(base);
    const list = await client.page('/web/connections');
    expect(list).toContain('<th scope="row">dave</th>');
    expect(list).toContain('SSH-2.0-test_client');
    expect(list).toMatch(/Upload <code>\/big\.bin<\/code>:\s+2\.00 KiB, 2\.00 KiB\/s/);
    expect(list).toContain('href="/web/connection/0123456789abcdef/close"');

    const confirm = await client.page('/web/connection/0123456789abcdef/close');
    expect(confirm).toContain('<h1>Close the connection of dave?</h1>');
    const token = /name="_csrf" value="([^"]+)"/.exec(confirm)?.[1] as string;
    const res = await client.post('/web/connection/0123456789abcdef/close', { _csrf: token });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/web/connections');
    expect(live.has('0123456789abcdef')).toBe(false);
    const after = await client.page('/web/connections');
    expect(after).toContain('Connection 0123456789abcdef of &quot;dave&quot; closed.');
    expect(after).toContain('No one is connected.');

    const gone = await client.post('/web/connection/0123456789abcdef/close', { _csrf: token });
    expect(gone.status).toBe(303);
    expect(await client.page('/web/connections')).toContain('is already closed.');
  });
});

describe('web admin: the operator’s templates and static files', () => {
  let custom: Server | undefined;
  let customBase: string;

  beforeAll(async () => {
    const templates = join(tmp.path, 'templates');
    const statics = join(tmp.path, 'static');
    await mkdir(templates, { recursive: true });
    await mkdir(statics, { recursive: true });
    await writeFile(
      join(templates, 'connections.eta'),
      "<% layout('layout') %><h1>Our sessions</h1><p><%= it.connections.length %> open, <%= '<b>' %></p>",
    );
    await writeFile(join(statics, 'sftpgo.css'), 'body { color: rebeccapurple; }');
    await writeFile(join(statics, 'logo.txt'), 'our logo');
    ({ server: custom, base: customBase } = await listenWeb({
      provider,
      version,
      connections: registry,
      web: { templatesPath: templates, staticFilesPath: statics },
    }));
  });

  afterAll(() => closeWeb(custom));

  it('uses the operator’s template where there is one, the package’s elsewhere', async () => {
    const client = new Client(customBase, false);
    const connections = await client.page('/web/connections');
    expect(connections).toContain('<h1>Our sessions</h1><p>0 open, &lt;b&gt;</p>');
    // the package's layout around it
    expect(connections).toContain('<nav aria-label="Main">');
    expect(await client.page('/web/users')).toContain('<h1>Users</h1>');
  });

  it('serves the operator’s static files first', async () => {
    expect(await (await fetch(`${customBase}/static/sftpgo.css`)).text()).toBe(
      'body { color: rebeccapurple; }',
    );
    expect(await (await fetch(`${customBase}/static/logo.txt`)).text()).toBe('our logo');
    expect((await fetch(`${customBase}/static/nope.css`)).status).toBe(404);
  });
});
