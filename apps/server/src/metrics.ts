import type { HttpAccess } from '@sftpgo/api';
import type { DataProvider } from '@sftpgo/provider';
import type { LoginEvent, SessionEvent } from '@sftpgo/sftpd';
import type { ObjectRequest, ObjectStoreEvents } from '@sftpgo/vfs';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** The login methods counted, as `LoginEvent.loginType` names them. */
const LOGIN_METHODS = ['password', 'public_key', 'keyboard-interactive'] as const;
type LoginMethod = (typeof LOGIN_METHODS)[number];
const isLoginMethod = (type: string): type is LoginMethod =>
  (LOGIN_METHODS as readonly string[]).includes(type);

/** The prefix of each method's three reference counters, and its words in their help. */
const METHOD_METRICS: Readonly<Record<LoginMethod, { prefix: string; using: string }>> = {
  password: { prefix: 'sftpgo_password_login', using: 'a password' },
  public_key: { prefix: 'sftpgo_public_key_login', using: 'a public key' },
  'keyboard-interactive': {
    prefix: 'sftpgo_keyboard_interactive_login',
    using: 'keyboard interactive authentication',
  },
};

export interface MetricsOptions {
  /** The number of live SSH connections, read at each scrape (from the workers, later). */
  readonly connections: () => number | Promise<number>;
  /** Probed at each scrape for `sftpgo_dataprovider_availability`. */
  readonly provider: Pick<DataProvider, 'checkAvailability'>;
}

/** The server's Prometheus metrics: fed by the events of the libraries, rendered at `/metrics`. */
export interface Metrics {
  /** A finished transfer (a transfer not completed is an error) or a command. */
  onEvent(event: SessionEvent): void;
  /** A login that succeeded or failed. */
  onLogin(event: LoginEvent): void;
  /** An answered HTTP request. */
  onAccess(access: HttpAccess): void;
  /** What the storages of a backend tell, counted as `sftpgo_s3_*` or `sftpgo_gcs_*`. */
  readonly objectStores: Readonly<Record<ObjectStoreKind, ObjectStoreEvents>>;
  /** What `createApi` serves at `GET /metrics`: the Prometheus text format. */
  readonly endpoint: { readonly contentType: string; render(): Promise<string> };
}

/** The object stores with counters of their own, by the prefix of their metrics. */
export type ObjectStoreKind = 's3' | 'gcs';

const STORE_NAMES: Readonly<Record<ObjectStoreKind, string>> = { s3: 'S3', gcs: 'GCS' };

/** The reference's words for each counted call. */
const REQUEST_WORDS: Readonly<Record<ObjectRequest, string>> = {
  list_objects: 'list objects',
  copy_object: 'copy object',
  delete_object: 'delete object',
  head_bucket: 'head bucket',
};

/** A login's three counters: attempts, and of those the ones that succeeded or failed. */
interface LoginCounters {
  readonly attempts: Counter;
  readonly ok: Counter;
  readonly ko: Counter;
}

/**
 * A registry with Node's process and runtime metrics and the server's own.
 * The server's metrics carry the reference server's names and meanings, which
 * existing dashboards and alerts query (`sftpgo_upload_size`, not
 * `..._bytes_total`); two labelled counters add a breakdown of logins and of
 * HTTP status codes.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const registers = [register];
  const counter = (name: string, help: string) => new Counter({ name, help, registers });

  const uploads = counter('sftpgo_uploads_total', 'The total number of successful uploads');
  const downloads = counter('sftpgo_downloads_total', 'The total number of successful downloads');
  const uploadErrors = counter('sftpgo_upload_errors_total', 'The total number of upload errors');
  const downloadErrors = counter(
    'sftpgo_download_errors_total',
    'The total number of download errors',
  );
  const uploadSize = counter(
    'sftpgo_upload_size',
    'The total upload size as bytes, partial uploads are included',
  );
  const downloadSize = counter(
    'sftpgo_download_size',
    'The total download size as bytes, partial downloads are included',
  );
  const sshCommands = counter(
    'sftpgo_ssh_commands_total',
    'The total number of executed SSH commands',
  );
  const sshCommandErrors = counter(
    'sftpgo_ssh_command_errors_total',
    'The total number of SSH command errors',
  );

  const loginCounters = (prefix: string, using: string): LoginCounters => ({
    attempts: counter(`${prefix}_attempts_total`, `The total number of login attempts${using}`),
    ok: counter(`${prefix}_ok_total`, `The total number of successful logins${using}`),
    ko: counter(`${prefix}_ko_total`, `The total number of failed logins${using}`),
  });
  const allLogins = loginCounters('sftpgo_login', '');
  const byMethod = Object.fromEntries(
    LOGIN_METHODS.map((m) => {
      const { prefix, using } = METHOD_METRICS[m];
      return [m, loginCounters(prefix, ` using ${using}`)];
    }),
  ) as Record<LoginMethod, LoginCounters>;
  const logins = new Counter({
    name: 'sftpgo_logins_total',
    help: 'Total number of login attempts, by authentication method and result',
    labelNames: ['method', 'result'] as const,
    registers,
  });
  for (const method of LOGIN_METHODS) {
    for (const result of ['success', 'failure']) logins.labels(method, result).inc(0);
  }

  const httpRequests = counter('sftpgo_http_req_total', 'The total number of HTTP requests served');
  const httpOk = counter(
    'sftpgo_http_req_ok_total',
    'The total number of HTTP requests served with 2xx status code',
  );
  const httpClientErrors = counter(
    'sftpgo_http_client_errors_total',
    'The total number of HTTP requests served with 4xx status code',
  );
  const httpServerErrors = counter(
    'sftpgo_http_server_errors_total',
    'The total number of HTTP requests served with 5xx status code',
  );
  const httpByCode = new Counter({
    name: 'sftpgo_http_requests_total',
    help: 'Total number of HTTP requests answered by the REST API, by response code',
    labelNames: ['code'] as const,
    registers,
  });

  /** A backend's counters, with the reference's names and help. */
  const objectStore = (kind: ObjectStoreKind): ObjectStoreEvents => {
    const name = STORE_NAMES[kind];
    const transferCounters = (direction: 'upload' | 'download') => ({
      ok: counter(
        `sftpgo_${kind}_${direction}s_total`,
        `The total number of successful ${name} ${direction}s`,
      ),
      ko: counter(
        `sftpgo_${kind}_${direction}_errors_total`,
        `The total number of ${name} ${direction} errors`,
      ),
      size: counter(
        `sftpgo_${kind}_${direction}_size`,
        `The total ${name} ${direction} size as bytes, partial ${direction}s are included`,
      ),
    });
    const transfers = {
      upload: transferCounters('upload'),
      download: transferCounters('download'),
    };
    const requests = Object.fromEntries(
      Object.entries(REQUEST_WORDS).map(([request, words]) => [
        request,
        {
          ok: counter(
            `sftpgo_${kind}_${request}`,
            `The total number of successful ${name} ${words} requests`,
          ),
          ko: counter(
            `sftpgo_${kind}_${request}_errors`,
            `The total number of ${name} ${words} errors`,
          ),
        },
      ]),
    ) as Record<ObjectRequest, { ok: Counter; ko: Counter }>;
    return {
      transfer(direction, bytes, error) {
        const counters = transfers[direction];
        counters.size.inc(bytes);
        (error === undefined ? counters.ok : counters.ko).inc();
      },
      request(request, error) {
        (error === undefined ? requests[request].ok : requests[request].ko).inc();
      },
    };
  };
  const objectStores = { s3: objectStore('s3'), gcs: objectStore('gcs') };

  new Gauge({
    name: 'sftpgo_active_connections',
    help: 'Total number of logged in users',
    registers,
    async collect() {
      this.set(await options.connections());
    },
  });
  new Gauge({
    name: 'sftpgo_dataprovider_availability',
    help: 'Availability for the configured data provider, 1 means OK, 0 KO',
    registers,
    async collect() {
      try {
        await options.provider.checkAvailability();
        this.set(1);
      } catch {
        this.set(0);
      }
    },
  });

  return {
    onEvent(event) {
      if (event.type === 'ssh-command') {
        (event.ok ? sshCommands : sshCommandErrors).inc();
        return;
      }
      if (event.type !== 'transfer') return;
      const upload = event.operation === 'upload';
      // the bytes moved before a transfer failed or was cut count too
      (upload ? uploadSize : downloadSize).inc(event.bytes);
      if (event.completed) (upload ? uploads : downloads).inc();
      else (upload ? uploadErrors : downloadErrors).inc();
    },
    onLogin(event) {
      if (!isLoginMethod(event.loginType)) return;
      for (const counters of [allLogins, byMethod[event.loginType]]) {
        counters.attempts.inc();
        (event.ok ? counters.ok : counters.ko).inc();
      }
      logins.labels(event.loginType, event.ok ? 'success' : 'failure').inc();
    },
    onAccess(access) {
      const status = access.resp_status;
      httpRequests.inc();
      if (status >= 200 && status < 300) httpOk.inc();
      else if (status >= 400 && status < 500) httpClientErrors.inc();
      else if (status >= 500) httpServerErrors.inc();
      httpByCode.labels(String(status)).inc();
    },
    objectStores,
    endpoint: {
      contentType: register.contentType,
      render: () => register.metrics(),
    },
  };
}
