import type { HttpAccess } from '@sftpgo/api';
import type { SessionContext, TransferEvent } from '@sftpgo/sftpd';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/metrics.js';

const context: SessionContext = {
  username: 'alice',
  connectionId: 'c1',
  protocol: 'SFTP',
  homeDir: '/srv/alice',
};

function transfer(
  operation: 'upload' | 'download',
  bytes: number,
  completed: boolean,
): TransferEvent {
  return { ...context, type: 'transfer', operation, path: '/f', bytes, elapsedMs: 1, completed };
}

function access(status: number): HttpAccess {
  return {
    remote_addr: '127.0.0.1:1',
    proto: 'HTTP/1.1',
    method: 'GET',
    user_agent: '',
    uri: 'http://127.0.0.1/api/v1/version',
    resp_status: status,
    resp_size: 0,
    elapsed_ms: 0,
    request_id: 'r',
  };
}

/** The value of the sample `name{labels}` in Prometheus text, or undefined when absent. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const prefix = labels ? `${name}{${labels}} ` : `${name} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

function metricsWith(options: { connections?: number; available?: boolean } = {}) {
  return createMetrics({
    connections: () => options.connections ?? 0,
    provider: {
      checkAvailability: async () => {
        if (options.available === false) throw new Error('database down');
      },
    },
  });
}

describe('createMetrics', () => {
  it('counts completed transfers, cut ones as errors, and the bytes of both', async () => {
    const metrics = metricsWith();
    metrics.onEvent(transfer('upload', 100, true));
    metrics.onEvent(transfer('upload', 40, false));
    metrics.onEvent(transfer('download', 7, true));
    metrics.onEvent(transfer('download', 3, true));
    metrics.onEvent(transfer('download', 5, false));
    metrics.onEvent({ ...context, type: 'command', command: 'Mkdir', path: '/d' });
    const text = await metrics.endpoint.render();
    expect(sample(text, 'sftpgo_uploads_total')).toBe(1);
    expect(sample(text, 'sftpgo_upload_errors_total')).toBe(1);
    expect(sample(text, 'sftpgo_upload_size')).toBe(140);
    expect(sample(text, 'sftpgo_downloads_total')).toBe(2);
    expect(sample(text, 'sftpgo_download_errors_total')).toBe(1);
    expect(sample(text, 'sftpgo_download_size')).toBe(15);
    expect(text).toContain('# TYPE sftpgo_upload_size counter');
    expect(text).toContain('# TYPE sftpgo_download_size counter');
    expect(text).not.toContain('sftpgo_upload_size_total');
    expect(text).not.toContain('_bytes_total');
  });

  it('counts logins by method and result, only for the three SSH methods', async () => {
    const metrics = metricsWith();
    const login = (loginType: string, ok: boolean) =>
      metrics.onLogin({ username: 'alice', clientIp: '127.0.0.1', loginType, ok });
    login('password', true);
    login('password', false);
    login('password', false);
    login('public_key', true);
    login('keyboard-interactive', false);
    login('no_auth_tryed', false);
    const text = await metrics.endpoint.render();
    const logins = (method: string, result: string) =>
      sample(text, 'sftpgo_logins_total', `method="${method}",result="${result}"`);
    expect(logins('password', 'success')).toBe(1);
    expect(logins('password', 'failure')).toBe(2);
    expect(logins('public_key', 'success')).toBe(1);
    expect(logins('public_key', 'failure')).toBe(0);
    expect(logins('keyboard-interactive', 'success')).toBe(0);
    expect(logins('keyboard-interactive', 'failure')).toBe(1);
    expect(text).not.toContain('no_auth_tryed');

    // the reference server's names: all methods, then each method
    expect(sample(text, 'sftpgo_login_attempts_total')).toBe(5);
    expect(sample(text, 'sftpgo_login_ok_total')).toBe(2);
    expect(sample(text, 'sftpgo_login_ko_total')).toBe(3);
    const byMethod = (prefix: string) =>
      ['attempts', 'ok', 'ko'].map((k) => sample(text, `sftpgo_${prefix}_login_${k}_total`));
    expect(byMethod('password')).toEqual([3, 1, 2]);
    expect(byMethod('public_key')).toEqual([1, 1, 0]);
    expect(byMethod('keyboard_interactive')).toEqual([1, 0, 1]);
  });

  it('shows every login counter at 0 before any login', async () => {
    const text = await metricsWith().endpoint.render();
    for (const prefix of ['', 'password_', 'public_key_', 'keyboard_interactive_']) {
      for (const kind of ['attempts', 'ok', 'ko']) {
        expect(sample(text, `sftpgo_${prefix}login_${kind}_total`)).toBe(0);
      }
    }
  });

  it('counts SSH commands run and failed', async () => {
    const metrics = metricsWith();
    const command = (ok: boolean, name = 'md5sum') =>
      metrics.onEvent({
        type: 'ssh-command',
        username: 'alice',
        connectionId: 'c1',
        protocol: name === 'scp' ? 'SCP' : 'SSH',
        homeDir: '/srv/alice',
        command: name,
        commandLine: `${name} /a`,
        path: '/a',
        ok,
      });
    command(true);
    command(true);
    command(false);
    // scp counts as a command too, besides its transfers, as in the reference
    command(true, 'scp');
    command(false, 'scp');
    const text = await metrics.endpoint.render();
    expect(sample(text, 'sftpgo_ssh_commands_total')).toBe(3);
    expect(sample(text, 'sftpgo_ssh_command_errors_total')).toBe(2);
  });

  it('counts HTTP requests, by class of status and by response code', async () => {
    const metrics = metricsWith();
    for (const status of [200, 201, 204, 302, 400, 401, 404, 500, 503]) {
      metrics.onAccess(access(status));
    }
    metrics.onAccess(access(200));
    const text = await metrics.endpoint.render();
    expect(sample(text, 'sftpgo_http_req_total')).toBe(10);
    expect(sample(text, 'sftpgo_http_req_ok_total')).toBe(4);
    expect(sample(text, 'sftpgo_http_client_errors_total')).toBe(3);
    expect(sample(text, 'sftpgo_http_server_errors_total')).toBe(2);
    expect(sample(text, 'sftpgo_http_requests_total', 'code="200"')).toBe(2);
    expect(sample(text, 'sftpgo_http_requests_total', 'code="302"')).toBe(1);
    expect(sample(text, 'sftpgo_http_requests_total', 'code="404"')).toBe(1);
  });

  it('reads the connections and probes the provider at each scrape', async () => {
    const up = await metricsWith({ connections: 3 }).endpoint.render();
    expect(sample(up, 'sftpgo_active_connections')).toBe(3);
    expect(sample(up, 'sftpgo_dataprovider_availability')).toBe(1);
    const down = await metricsWith({ available: false }).endpoint.render();
    expect(sample(down, 'sftpgo_dataprovider_availability')).toBe(0);
  });

  it('renders the Prometheus text format with Node process metrics', async () => {
    const { endpoint } = metricsWith();
    expect(endpoint.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await endpoint.render();
    expect(text).toContain('# TYPE sftpgo_uploads_total counter');
    expect(text).toContain('# TYPE sftpgo_active_connections gauge');
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(text).toContain('nodejs_heap_size_used_bytes');
  });

  it("counts each object store's transfers and calls under the reference's names", async () => {
    const metrics = metricsWith();
    metrics.objectStores.s3.transfer('upload', 1000);
    metrics.objectStores.s3.transfer('upload', 10, new Error('cut'));
    metrics.objectStores.s3.transfer('download', 500);
    metrics.objectStores.s3.request('list_objects');
    metrics.objectStores.s3.request('head_bucket', new Error('missing'));
    metrics.objectStores.gcs.request('copy_object');
    const text = await metrics.endpoint.render();
    expect(sample(text, 'sftpgo_s3_uploads_total')).toBe(1);
    expect(sample(text, 'sftpgo_s3_upload_errors_total')).toBe(1);
    expect(sample(text, 'sftpgo_s3_upload_size')).toBe(1010);
    expect(sample(text, 'sftpgo_s3_downloads_total')).toBe(1);
    expect(sample(text, 'sftpgo_s3_download_size')).toBe(500);
    expect(sample(text, 'sftpgo_s3_list_objects')).toBe(1);
    expect(sample(text, 'sftpgo_s3_head_bucket')).toBe(0);
    expect(sample(text, 'sftpgo_s3_head_bucket_errors')).toBe(1);
    expect(sample(text, 'sftpgo_gcs_copy_object')).toBe(1);
    expect(sample(text, 'sftpgo_gcs_delete_object_errors')).toBe(0);
    expect(text).toContain(
      '# HELP sftpgo_s3_upload_size The total S3 upload size as bytes, partial uploads are included',
    );
    expect(text).toContain(
      '# HELP sftpgo_gcs_list_objects The total number of successful GCS list objects requests',
    );
  });
});
