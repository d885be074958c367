// A typed client of the v1 REST API (docs/rest-api.md), over fetch: what
// `sftpgo api` and the reference server's sftpgo_api_cli.py do with it.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** The reference server's message and error body. */
export interface ApiMessage {
  readonly error: string;
  readonly message: string;
  readonly status: number;
}

/** A user as the API takes it: every field may be left out of an update. */
export interface ApiUserInput {
  id?: number;
  status?: 0 | 1;
  username?: string;
  expiration_date?: number;
  password?: string;
  public_keys?: string[];
  home_dir?: string;
  uid?: number;
  gid?: number;
  max_sessions?: number;
  quota_size?: number;
  quota_files?: number;
  permissions?: Record<string, string[]>;
  upload_bandwidth?: number;
  download_bandwidth?: number;
  filters?: { allowed_ip?: string[]; denied_ip?: string[] };
  filesystem?: ApiFilesystem;
}

/**
 * Where a user's files are kept, with the reference server's fields: 0 the
 * local disk, 1 S3 (`s3config`), 2 Google Cloud Storage (`gcsconfig`). The
 * server returns the S3 secret encrypted and never the GCS key.
 */
export interface ApiFilesystem {
  provider?: 0 | 1 | 2;
  s3config?: {
    bucket?: string;
    key_prefix?: string;
    region?: string;
    access_key?: string;
    access_secret?: string;
    endpoint?: string;
    storage_class?: string;
    upload_part_size?: number;
    upload_concurrency?: number;
  };
  gcsconfig?: {
    bucket?: string;
    key_prefix?: string;
    /** The service account's JSON key, base64-encoded: sent, never returned. */
    credentials?: string;
    automatic_credentials?: 0 | 1;
    storage_class?: string;
  };
}

/** A user as the API returns it: never with its password. */
export interface ApiUser extends Omit<Required<ApiUserInput>, 'password'> {
  readonly used_quota_size: number;
  readonly used_quota_files: number;
  readonly last_quota_update: number;
  readonly last_login: number;
}

export interface UserListQuery {
  readonly limit?: number;
  readonly offset?: number;
  readonly order?: 'ASC' | 'DESC';
  readonly username?: string;
}

/** An answer other than a success, with the server's `error` and `message` when it sent them. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly error: string;
  readonly apiMessage: string;

  constructor(status: number, error: string, apiMessage: string) {
    super([status, error, apiMessage].filter((part) => part !== '').join(' '));
    this.status = status;
    this.error = error;
    this.apiMessage = apiMessage;
  }
}

export interface ApiClientOptions {
  /** The server's root (`/api/v1` is added unless already there); http://127.0.0.1:8080 by default. */
  readonly baseUrl?: string;
  /** HTTP basic credentials, for a server with `httpd.auth_user_file`. */
  readonly authUser?: string;
  readonly authPassword?: string;
  /** Accept any HTTPS certificate, as a self-signed one. */
  readonly insecure?: boolean;
  /** Stands in for the global fetch in tests. */
  readonly fetch?: typeof fetch;
}

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

/** The `/api/v1` URL of a server root, or of a URL already ending with it. */
export function apiBaseUrl(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/api/v1') ? trimmed : `${trimmed}/api/v1`;
}

/** Statuses whose answer has no body, for which a Response takes none. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * fetch over node:http(s), accepting any certificate: Node's own fetch takes
 * such an option only through an undici Agent, a package we do not depend on.
 */
export const insecureFetch: typeof fetch = (input, init) =>
  new Promise<Response>((resolve, reject) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === 'string' ? init.body : undefined;
    if (init?.body != null && body === undefined) {
      reject(new TypeError('insecureFetch sends string bodies only'));
      return;
    }
    const req = send(
      url,
      {
        method: init?.method ?? 'GET',
        headers: Object.fromEntries(headers),
        rejectUnauthorized: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 500;
          const answer = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const one of Array.isArray(value) ? value : [value]) answer.append(name, one);
          }
          resolve(
            new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), {
              status,
              statusText: res.statusMessage,
              headers: answer,
            }),
          );
        });
      },
    );
    req.on('error', reject);
    init?.signal?.addEventListener('abort', () => req.destroy(init.signal?.reason));
    req.end(body);
  });

/**
 * The REST API of a running server. Each method resolves with the decoded
 * JSON answer, or rejects with an {@link ApiError} (any status but 2xx) or
 * with the network's error.
 *
 * @example
 * const api = new ApiClient({ baseUrl: 'http://127.0.0.1:8080' });
 * const [user] = await api.listUsers({ username: 'alice' });
 */
export class ApiClient {
  readonly #base: string;
  readonly #authorization: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: ApiClientOptions = {}) {
    this.#base = apiBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
    this.#authorization =
      options.authUser !== undefined && options.authUser !== ''
        ? `Basic ${Buffer.from(`${options.authUser}:${options.authPassword ?? ''}`).toString('base64')}`
        : undefined;
    this.#fetch = options.fetch ?? (options.insecure ? insecureFetch : globalThis.fetch);
  }

  /** The URL of an API path, as `/user/1`, with its query string. */
  url(path: string, query: Record<string, string | number | undefined> = {}): string {
    const url = new URL(`${this.#base}${path}`);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.href;
  }

  async #call<T>(
    method: string,
    path: string,
    options: { query?: Record<string, string | number | undefined>; body?: unknown } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#authorization) headers.authorization = this.#authorization;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.#fetch(this.url(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    let decoded: unknown;
    try {
      decoded = text === '' ? undefined : JSON.parse(text);
    } catch {
      decoded = undefined;
    }
    if (!res.ok) {
      const body = (decoded ?? {}) as Partial<ApiMessage>;
      const error = typeof body.error === 'string' ? body.error : '';
      const message =
        typeof body.message === 'string'
          ? body.message
          : decoded === undefined
            ? text.trim().slice(0, 200) || res.statusText
            : '';
      throw new ApiError(res.status, error, message);
    }
    if (decoded === undefined && text !== '') {
      throw new ApiError(res.status, 'the answer is not JSON', text.trim().slice(0, 200));
    }
    return decoded as T;
  }

  version(): Promise<{ version: string; build_date: string; commit_hash: string }> {
    return this.#call('GET', '/version');
  }

  providerStatus(): Promise<ApiMessage> {
    return this.#call('GET', '/providerstatus');
  }

  listUsers(query: UserListQuery = {}): Promise<ApiUser[]> {
    return this.#call('GET', '/user', { query: { ...query } });
  }

  getUser(id: number): Promise<ApiUser> {
    return this.#call('GET', `/user/${id}`);
  }

  /** Resolves with the created user and its `id`. */
  addUser(user: ApiUserInput): Promise<ApiUser> {
    return this.#call('POST', '/user', { body: user });
  }

  /** Fields left out keep their stored values; `permissions` are replaced when given. */
  updateUser(id: number, fields: ApiUserInput): Promise<ApiMessage> {
    return this.#call('PUT', `/user/${id}`, { body: fields });
  }

  deleteUser(id: number): Promise<ApiMessage> {
    return this.#call('DELETE', `/user/${id}`);
  }

  listConnections(): Promise<unknown[]> {
    return this.#call('GET', '/connection');
  }

  closeConnection(connectionId: string): Promise<ApiMessage> {
    return this.#call('DELETE', `/connection/${encodeURIComponent(connectionId)}`);
  }

  listQuotaScans(): Promise<{ username: string; start_time: number }[]> {
    return this.#call('GET', '/quota_scan');
  }

  /** Answered 201 when the scan starts; it runs on in the server. */
  startQuotaScan(username: string): Promise<ApiMessage> {
    return this.#call('POST', '/quota_scan', { body: { username } });
  }

  /** Writes the users to `outputFile` under the server's `backups_path`. */
  dumpData(outputFile: string, indent = false): Promise<ApiMessage> {
    return this.#call('GET', '/dumpdata', {
      query: { output_file: outputFile, indent: indent ? 1 : 0 },
    });
  }

  /**
   * Restores the users of `inputFile`, a backup file on the server's side
   * (sent as `input_file`, unchanged): a file name in the server's
   * `backups_path`, or an absolute path inside it. `scanQuota`: 0 never, 1 always, 2 for users with a quota;
   * `mode`: 0 adds and updates, 1 only adds; `replace` deletes the users
   * absent from the file, a parameter sent only when set, which only this
   * server knows.
   */
  loadData(
    inputFile: string,
    scanQuota: 0 | 1 | 2 = 0,
    mode: 0 | 1 = 0,
    replace = false,
  ): Promise<ApiMessage> {
    return this.#call('GET', '/loaddata', {
      query: {
        input_file: inputFile,
        scan_quota: scanQuota,
        mode,
        replace: replace ? 1 : undefined,
      },
    });
  }
}
