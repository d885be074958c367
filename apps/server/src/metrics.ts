import type { HttpAccess } from '@sftpgo/api';
import type { DataProvider } from '@sftpgo/provider';
import type { LoginEvent, SessionEvent } from '@sftpgo/sftpd';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** The login methods counted, as `LoginEvent.loginType` names them. */
const LOGIN_METHODS = ['password', 'public_key', 'keyboard-interactive'] as const;
type LoginMethod = (typeof LOGIN_METHODS)[number];
const isLoginMethod = (type: string): type is LoginMethod =>
  (LOGIN_METHODS as readonly string[]).includes(type);

export interface MetricsOptions {
  /** The number of live SSH connections, read at each scrape. */
  readonly connections: () => number;
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
  /** What `createApi` serves at `GET /metrics`: the Prometheus text format. */
  readonly endpoint: { readonly contentType: string; render(): Promise<string> };
}

/**
 * A registry with Node's process and runtime metrics and the server's own,
 * named by the Prometheus conventions (`sftpgo_` prefix, `_total` counters,
 * bytes as the unit of sizes).
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const registers = [register];
  const counter = (name: string, help: string) => new Counter({ name, help, registers });

  const uploads = counter('sftpgo_uploads_total', 'Total number of completed uploads');
  const downloads = counter('sftpgo_downloads_total', 'Total number of completed downloads');
  const uploadBytes = counter(
    'sftpgo_upload_size_bytes_total',
    'Total bytes received by uploads, completed or not',
  );
  const downloadBytes = counter(
    'sftpgo_download_size_bytes_total',
    'Total bytes sent by downloads, completed or not',
  );
  const uploadErrors = counter('sftpgo_upload_errors_total', 'Total number of failed uploads');
  const downloadErrors = counter(
    'sftpgo_download_errors_total',
    'Total number of failed downloads',
  );
  const sshCommands = counter(
    'sftpgo_ssh_commands_total',
    'Total number of SSH commands that succeeded',
  );
  const sshCommandErrors = counter(
    'sftpgo_ssh_command_errors_total',
    'Total number of SSH commands that failed',
  );
  const logins = new Counter({
    name: 'sftpgo_logins_total',
    help: 'Total number of login attempts, by authentication method and result',
    labelNames: ['method', 'result'] as const,
    registers,
  });
  for (const method of LOGIN_METHODS) {
    for (const result of ['success', 'failure']) logins.labels(method, result).inc(0);
  }
  const httpRequests = new Counter({
    name: 'sftpgo_http_requests_total',
    help: 'Total number of HTTP requests answered by the REST API, by response code',
    labelNames: ['code'] as const,
    registers,
  });
  new Gauge({
    name: 'sftpgo_active_connections',
    help: 'Number of active SSH connections',
    registers,
    collect() {
      this.set(options.connections());
    },
  });
  new Gauge({
    name: 'sftpgo_dataprovider_availability',
    help: 'Whether the data provider answers: 1 if available, 0 if not',
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
        // scp counts by its transfers
        if (event.command !== 'scp') (event.ok ? sshCommands : sshCommandErrors).inc();
        return;
      }
      if (event.type !== 'transfer') return;
      const upload = event.operation === 'upload';
      (upload ? uploadBytes : downloadBytes).inc(event.bytes);
      if (event.completed) (upload ? uploads : downloads).inc();
      else (upload ? uploadErrors : downloadErrors).inc();
    },
    onLogin(event) {
      if (!isLoginMethod(event.loginType)) return;
      logins.labels(event.loginType, event.ok ? 'success' : 'failure').inc();
    },
    onAccess(access) {
      httpRequests.labels(String(access.resp_status)).inc();
    },
    endpoint: {
      contentType: register.contentType,
      render: () => register.metrics(),
    },
  };
}
