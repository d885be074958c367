// The soak run's side load: REST API calls (user updates, the connection list
// and closing a connection, quota scans), metric scrapes, and logins that must
// fail, each in a loop of its own at a steady pace.
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type SshTarget } from './sftp-session.js';
import type { Tally } from './tally.js';

/** Pause between two rounds of each loop. */
const PACE_MS = 2_000;
const CLOSE_TIMEOUT_MS = 30_000;

async function api(base: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
}

async function expectStatus(res: Response, ...statuses: number[]): Promise<Response> {
  if (!statuses.includes(res.status)) {
    throw new Error(`${res.url}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  }
  return res;
}

async function loop(running: () => boolean, round: () => Promise<void>): Promise<void> {
  while (running()) {
    await round();
    await sleep(PACE_MS);
  }
}

/** Toggles the loaded user's quota between none and 100 GiB, as an admin editing it would. */
function userUpdates(base: string, username: string, tally: Tally, running: () => boolean) {
  let quota = 0;
  return loop(running, async () => {
    await tally.succeeds('api_user_update', async () => {
      const res = await expectStatus(
        await api(base, 'GET', `/api/v1/user?username=${username}`),
        200,
      );
      const [user] = (await res.json()) as { id: number }[];
      if (!user) throw new Error(`${username} is not listed`);
      quota = quota === 0 ? 100 * 1024 ** 3 : 0;
      await expectStatus(
        await api(base, 'PUT', `/api/v1/user/${user.id}`, { ...user, quota_size: quota }),
        200,
      );
    });
  });
}

/** Quota scans of the loaded user: started, or already running (409). */
function quotaScans(base: string, username: string, tally: Tally, running: () => boolean) {
  return loop(running, async () => {
    await tally.succeeds('api_quota_scan', async () => {
      await expectStatus(await api(base, 'POST', '/api/v1/quota_scan', { username }), 201, 409);
    });
  });
}

/** The event-loop delay p99 that each scrape read, in milliseconds. */
export interface Scrapes {
  readonly eventLoopP99Ms: number[];
}

function metricScrapes(base: string, tally: Tally, running: () => boolean, scrapes: Scrapes) {
  return loop(running, async () => {
    await tally.succeeds('metrics_scrape', async () => {
      const text = await (await expectStatus(await fetch(`${base}/metrics`), 200)).text();
      const lag = /^nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text);
      if (!lag || !/^sftpgo_active_connections \d+$/m.test(text)) {
        throw new Error('/metrics: no event-loop delay or connection count');
      }
      scrapes.eventLoopP99Ms.push(Number(lag[1]) * 1000);
    });
  });
}

/** Password logins with a wrong password: refused, or an error. */
function refusedLogins(target: SshTarget, tally: Tally, running: () => boolean) {
  return loop(running, async () => {
    await tally.succeeds('login_refused', async () => {
      const client = await connect(target, {
        privateKey: undefined,
        password: 'not-the-password',
      }).catch((err: Error) => err);
      if (!(client instanceof Error)) {
        client.end();
        throw new Error('a wrong password was accepted');
      }
      if (!/authentication methods failed/.test(client.message)) throw client;
    });
  });
}

/**
 * Sessions of the `closed` user that the connection list's DELETE ends: a
 * session logs in, the API finds it in `GET /connection` and closes it, and
 * the client must see its connection end.
 */
function closedConnections(base: string, target: SshTarget, tally: Tally, running: () => boolean) {
  return loop(running, async () => {
    const client = await tally.result('api_close_login', () => connect(target));
    if (!client) return;
    const ended = new Promise<void>((resolve) => client.once('close', () => resolve()));
    try {
      await tally.succeeds('api_connection_close', async () => {
        const res = await expectStatus(await api(base, 'GET', '/api/v1/connection'), 200);
        const listed = (await res.json()) as { connection_id: string; username: string }[];
        const mine = listed.filter((c) => c.username === target.username);
        if (mine.length !== 1)
          throw new Error(`${mine.length} connections of ${target.username} listed`);
        await expectStatus(
          await api(base, 'DELETE', `/api/v1/connection/${mine[0]!.connection_id}`),
          200,
        );
        const expiry = new AbortController();
        const expired = sleep(CLOSE_TIMEOUT_MS, undefined, { signal: expiry.signal }).then(
          () => Promise.reject(new Error('the closed connection still runs after 30 s')),
          () => {}, // ended in time: the wait was aborted
        );
        await Promise.race([ended, expired]).finally(() => expiry.abort());
      });
    } finally {
      client.end();
    }
  });
}

/** Starts every side loop; resolves once all of them have seen `running()` false. */
export function sideLoad(
  base: string,
  loaded: SshTarget,
  closed: SshTarget,
  tally: Tally,
  running: () => boolean,
  scrapes: Scrapes,
): Promise<unknown> {
  return Promise.all([
    userUpdates(base, loaded.username, tally, running),
    quotaScans(base, loaded.username, tally, running),
    metricScrapes(base, tally, running, scrapes),
    refusedLogins(loaded, tally, running),
    closedConnections(base, closed, tally, running),
  ]);
}
