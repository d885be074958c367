// The web admin as a browser sees it: a client that keeps its cookies and
// sends the admin's credentials, and the server behind it.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiOptions, createApi } from '@sftpgo/api';
import { expect } from 'vitest';

// openssl passwd -apr1 -salt webtests admin-secret
export const ADMIN_HASH = '$apr1$webtests$ZXsoSuKojOGn5psHX/wnT1';
export const AUTH = `Basic ${Buffer.from('admin:admin-secret').toString('base64')}`;

/** The API with its web admin, on a free port of the loopback. */
export async function listenWeb(options: ApiOptions): Promise<{ server: Server; base: string }> {
  const app = createApi(options);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Stops a server of `listenWeb`, its open connections too. */
export async function closeWeb(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** A browser of sorts: keeps cookies, sends the admin's credentials, follows no redirect. */
export class Client {
  readonly cookies = new Map<string, string>();
  readonly base: string;
  readonly auth: string | false;

  /** `auth` false: no credentials. */
  constructor(base: string, auth: string | false = AUTH) {
    this.base = base;
    this.auth = auth;
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { ...extra };
    if (this.auth) headers.authorization = this.auth;
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    return headers;
  }

  #keep(res: Response): Response {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async get(path: string): Promise<Response> {
    return this.#keep(
      await fetch(`${this.base}${path}`, { headers: this.#headers(), redirect: 'manual' }),
    );
  }

  async page(path: string): Promise<string> {
    const res = await this.get(path);
    expect(res.status, path).toBe(200);
    return res.text();
  }

  async post(
    path: string,
    fields: Record<string, string | string[]>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(fields)) {
      for (const v of Array.isArray(value) ? value : [value]) body.append(key, v);
    }
    return this.#keep(
      await fetch(`${this.base}${path}`, {
        method: 'POST',
        headers: this.#headers({ 'content-type': 'application/x-www-form-urlencoded', ...headers }),
        body,
        redirect: 'manual',
      }),
    );
  }

  /** The CSRF token of the forms of the page at `path`. */
  async token(path = '/web/user'): Promise<string> {
    const html = await this.page(path);
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    expect(token).toBeTruthy();
    return token as string;
  }
}

/** The fields of the add form for a valid user. */
export function userFields(username: string, extra: Record<string, string | string[]> = {}) {
  return {
    username,
    password: `${username}-password`,
    status: '1',
    expiration_date: '',
    home_dir: `/srv/${username}`,
    public_keys: '',
    uid: '0',
    gid: '0',
    max_sessions: '0',
    quota_size: '0',
    quota_files: '0',
    upload_bandwidth: '0',
    download_bandwidth: '0',
    permissions_root: ['list', 'download'],
    permissions_dirs: '',
    allowed_ip: '',
    denied_ip: '',
    ...extra,
  };
}
