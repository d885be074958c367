import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createApi } from '@sftpgo/api';
import { type DataProvider, ManagedProvider, type QuotaChange } from '@sftpgo/provider';
import type { Express } from 'express';

export const migrationsDir = fileURLToPath(new URL('../../../sql/sqlite/', import.meta.url));
export const version = {
  version: '1.2.3',
  build_date: '2026-11-28T00:00:00Z',
  commit_hash: 'abc1234',
};

/** The body of messages and errors. */
export interface ApiBody {
  readonly error: string;
  readonly message: string;
  readonly status: number;
}

/** `app` on a free port of the loopback; `close` stops it. */
export async function listen(app: Express): Promise<{ base: string; close: () => Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * The API over `provider`, with its backups in `backupsPath`, listening as
 * `listen` does; the errors it answers 500 to are pushed to `internalErrors`.
 */
export function listenWithBackups(
  provider: DataProvider,
  backupsPath: string,
  internalErrors: unknown[],
): ReturnType<typeof listen> {
  const onInternalError = (err: unknown) => internalErrors.push(err);
  return listen(createApi({ provider, version, backupsPath, onInternalError }));
}

/**
 * A real store whose quota updates wait while the gate is held: a quota scan
 * then stays under way until `release`.
 */
export class GatedProvider extends ManagedProvider {
  #gate: Promise<void> = Promise.resolve();
  #open: () => void = () => {};

  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open();
    this.#gate = Promise.resolve();
  }

  override async updateQuota(username: string, change: QuotaChange): Promise<void> {
    await this.#gate;
    return super.updateQuota(username, change);
  }
}

export function send(
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  url: string,
  body?: unknown,
): Promise<Response> {
  return fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}
