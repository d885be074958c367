// One fuzzed request of the v1 API: an operation of its document (or a path
// or method it does not have), its path and query parameters, its body, and
// what it may change if answered 200.
import { type PublicUser, toPublicUser, type User } from '@sftpgo/provider';
import { type FuzzRandom, fuzzJson, fuzzString, mutateBytes, mutateJson } from '@sftpgo/test-utils';
import type { BackupFixtures } from './backup-fixtures.js';
import { type FuzzBody, fuzzBody } from './fuzz-bodies.js';
import { fuzzPathId, fuzzQuery, HOSTILE_NUMBERS, percentEncode } from './fuzz-values.js';
import {
  confineDumpHomeDirs,
  freshUsername,
  validUser,
  withUndecryptableSecret,
} from './user-samples.js';

/** What a request may change, when answered 200. */
export type Effect =
  | { readonly kind: 'none' }
  /** A PUT or DELETE on the user of that id (undefined: the path names none). */
  | { readonly kind: 'update' | 'delete'; readonly id: number | undefined }
  | { readonly kind: 'add' }
  /** A load: any user, even when it stops at an invalid one. */
  | { readonly kind: 'load' };

export interface FuzzRequest {
  readonly method: string;
  /** Below `/api/v1`, with the query string. */
  readonly path: string;
  readonly body?: FuzzBody;
  readonly headers: Readonly<Record<string, string>>;
  readonly effect: Effect;
  /** Work before sending: a backup file to write. */
  readonly prepare?: () => Promise<void>;
}

/** What the generator picks from: the state of the run. */
export interface RequestContext {
  readonly homesRoot: string;
  readonly fixtures: BackupFixtures;
  readonly connectionIds: readonly string[];
  /** The watched users, as last acknowledged. */
  knownUsers(): readonly User[];
  /** Ids of users the fuzzer added. */
  addedIds(): readonly number[];
  /** The dump of the watched users, the seed of damaged backups. */
  validDump(): unknown;
}

/** Headers that change what the maintenance routes do: a browser's cross-site mark. */
function siteHeaders(r: FuzzRandom): Record<string, string> {
  if (!r.chance(0.1)) return {};
  return { 'sec-fetch-site': r.pick(['cross-site', 'same-site', 'same-origin', 'none', '']) };
}

/** A user as the API shows it, the seed of an update. */
function shown(user: User): PublicUser & Record<string, unknown> {
  return toPublicUser(user) as PublicUser & Record<string, unknown>;
}

function userIds(ctx: RequestContext): number[] {
  return [...ctx.knownUsers().map((u) => u.id), ...ctx.addedIds()];
}

function usernames(r: FuzzRandom, ctx: RequestContext): string {
  const known = ctx.knownUsers().map((u) => u.username);
  return r.chance(0.7) && known.length > 0 ? r.pick(known) : fuzzString(r, 20);
}

/** A number parameter: a valid one half the time, so that the rest of the query is reached. */
const numberGen = (r: FuzzRandom) =>
  r.chance(0.5) ? String(r.pick([0, 1, 2, 10, 100, 499, 500, 501])) : r.pick(HOSTILE_NUMBERS);

/** One of `valid` mostly, else one of `others`. */
const mostly =
  (valid: readonly string[], others: readonly string[]) =>
  (r: FuzzRandom): string =>
    r.chance(0.7) ? r.pick(valid) : r.pick(others);

type Generator = (r: FuzzRandom, ctx: RequestContext, caseSeed: number) => FuzzRequest;

const none: Effect = { kind: 'none' };

function listUsers(r: FuzzRandom, ctx: RequestContext): FuzzRequest {
  const query = fuzzQuery(r, {
    limit: numberGen,
    offset: numberGen,
    order: (q) => q.pick(['ASC', 'DESC', 'asc', 'desc', '', 'ASC ', 'RANDOM()']),
    username: (q) => usernames(q, ctx),
  });
  return { method: 'GET', path: `/user${query}`, headers: {}, effect: none };
}

function addUser(r: FuzzRandom, ctx: RequestContext, caseSeed: number): FuzzRequest {
  const known = ctx.knownUsers();
  // a known user sent again: taken username, or a password missing from what is shown
  const seed =
    r.chance(0.15) && known.length > 0
      ? shown(r.pick(known))
      : validUser(r, freshUsername(r, caseSeed), ctx.homesRoot);
  if (r.chance(0.05)) withUndecryptableSecret(r, seed);
  return {
    method: 'POST',
    path: '/user',
    body: fuzzBody(r, seed, ctx.homesRoot),
    headers: {},
    effect: { kind: 'add' },
  };
}

function userById(method: 'GET' | 'PUT' | 'DELETE'): Generator {
  return (r, ctx, caseSeed) => {
    // the watched users half the time: what a request did to them is checked
    const watched = ctx.knownUsers().map((u) => u.id);
    const { text, id } = fuzzPathId(r, r.chance(0.5) ? watched : userIds(ctx));
    const target = ctx.knownUsers().find((u) => u.id === id);
    const request = { method, path: `/user/${text}`, headers: {} };
    if (method === 'GET') return { ...request, effect: none };
    if (method === 'DELETE') {
      // a body the route does not read, parsed all the same
      const body = r.chance(0.1) ? fuzzBody(r, {}, ctx.homesRoot) : undefined;
      return { ...request, ...(body ? { body } : {}), effect: { kind: 'delete', id } };
    }
    const seed: Record<string, unknown> = target
      ? shown(target)
      : validUser(r, freshUsername(r, caseSeed), ctx.homesRoot);
    if (r.chance(0.3)) {
      // the documented partial update: a few fields only
      for (const key of Object.keys(seed)) if (r.chance(0.6)) delete seed[key];
    }
    if (r.chance(0.15)) seed.id = r.pick([id ?? 0, (id ?? 0) + 1, -1, `${id}`, 1.5, null]);
    if (r.chance(0.05)) withUndecryptableSecret(r, seed);
    return { ...request, body: fuzzBody(r, seed, ctx.homesRoot), effect: { kind: 'update', id } };
  };
}

function startScan(r: FuzzRandom, ctx: RequestContext): FuzzRequest {
  const username = r.chance(0.8) ? usernames(r, ctx) : fuzzJson(r, 1);
  return {
    method: 'POST',
    path: '/quota_scan',
    body: fuzzBody(r, { username }, ctx.homesRoot),
    headers: {},
    effect: none,
  };
}

function dumpData(r: FuzzRandom, ctx: RequestContext): FuzzRequest {
  const { fixtures } = ctx;
  const query = fuzzQuery(r, {
    output_file: (q) => (q.chance(0.8) ? q.pick(fixtures.outputFiles) : fuzzString(q, 30)),
    indent: (q) => q.pick(['0', '1', ' 1 ', 'true', '2', '']),
  });
  return {
    method: 'GET',
    path: `/dumpdata${query}`,
    headers: siteHeaders(r),
    effect: none,
    prepare: fixtures.restoreLinks,
  };
}

/** The text of a damaged backup: a dump slightly wrong, or its bytes damaged. */
function damagedBackup(r: FuzzRandom, ctx: RequestContext): string | Buffer {
  const dump = ctx.validDump();
  if (r.chance(0.5)) return JSON.stringify(confineDumpHomeDirs(mutateJson(r, dump), ctx.homesRoot));
  return mutateBytes(r, Buffer.from(JSON.stringify(dump)));
}

function loadData(r: FuzzRandom, ctx: RequestContext): FuzzRequest {
  const { fixtures } = ctx;
  const damaged = r.chance(0.3) ? damagedBackup(r, ctx) : undefined;
  const scanGen = mostly(['0', '1', '2', '3', '-1'], HOSTILE_NUMBERS);
  const query = fuzzQuery(r, {
    input_file: (q) => {
      if (damaged !== undefined) return 'fuzzed.json';
      if (q.chance(0.4)) return q.pick(fixtures.loadableFiles);
      return q.chance(0.85) ? q.pick(fixtures.inputFiles) : fuzzString(q, 30);
    },
    // damaged bytes may make of a home dir anything, `/` too: never scanned
    ...(typeof damaged === 'string' || damaged === undefined ? { scan_quota: scanGen } : {}),
    mode: mostly(['0', '1', '2', '-1'], HOSTILE_NUMBERS),
    replace: mostly(['0', '1', 'true', 'false'], ['TRUE', '2', '', 'yes', ' 1']),
  });
  return {
    method: 'GET',
    path: `/loaddata${query}`,
    headers: siteHeaders(r),
    effect: { kind: 'load' },
    prepare: async () => {
      await fixtures.restoreLinks();
      if (damaged !== undefined) await fixtures.writeFuzzedBackup(damaged);
    },
  };
}

function closeConnection(r: FuzzRandom, ctx: RequestContext): FuzzRequest {
  const body = r.chance(0.1) ? fuzzBody(r, {}, ctx.homesRoot) : undefined;
  return {
    method: 'DELETE',
    path: `/connection/${fuzzPathId(r, ctx.connectionIds).text}`,
    headers: {},
    ...(body ? { body } : {}),
    effect: none,
  };
}

/** A GET with a query string it does not read. */
function plainGet(path: string): Generator {
  return (r) => ({
    method: 'GET',
    path: `${path}${r.chance(0.2) ? fuzzQuery(r, { x: (q) => fuzzString(q, 10) }) : ''}`,
    headers: {},
    effect: none,
  });
}

/** What a stray request may change: one on a user's path is a real update or delete. */
function strayEffect(method: string, path: string): Effect {
  const id = /^\/user\/(\d+)\/?$/i.exec(path)?.[1];
  if (id === undefined) return none;
  if (method === 'DELETE') return { kind: 'delete', id: Number(id) };
  return method === 'PUT' ? { kind: 'update', id: Number(id) } : none;
}

/** Mostly a method or path the API does not have: 405 or 404, never anything else. */
function stray(r: FuzzRandom): FuzzRequest {
  const path = r.pick([
    '/user',
    '/user/1',
    '/version',
    '/quota_scan',
    '/loaddata',
    '/connection/x',
    '/users',
    '/user/1/2',
    '/',
    '',
    '//user',
    '/user/',
    '/USER',
    '/version/',
    '/%2e%2e/%2e%2e/etc/passwd',
    `/${percentEncode(fuzzString(r, 20))}`,
  ]);
  // fetch refuses CONNECT, TRACE and TRACK; Node's HTTP parser answers an unknown
  // method itself, before the API; HEAD answers carry no body to check
  const method = r.pick(['PATCH', 'OPTIONS', 'HEAD', 'GET', 'POST', 'PUT', 'DELETE', 'PROPFIND']);
  return { method, path, headers: {}, effect: strayEffect(method, path) };
}

/** The generators and how often each runs, by the operation it covers. */
const GENERATORS: readonly {
  readonly weight: number;
  readonly operation: string;
  readonly gen: Generator;
}[] = [
  { weight: 3, operation: 'get /user', gen: listUsers },
  { weight: 5, operation: 'post /user', gen: addUser },
  { weight: 2, operation: 'get /user/{userID}', gen: userById('GET') },
  { weight: 6, operation: 'put /user/{userID}', gen: userById('PUT') },
  { weight: 1.5, operation: 'delete /user/{userID}', gen: userById('DELETE') },
  { weight: 0.5, operation: 'get /quota_scan', gen: plainGet('/quota_scan') },
  { weight: 2, operation: 'post /quota_scan', gen: startScan },
  { weight: 2, operation: 'get /dumpdata', gen: dumpData },
  { weight: 4, operation: 'get /loaddata', gen: loadData },
  { weight: 0.5, operation: 'get /connection', gen: plainGet('/connection') },
  { weight: 1, operation: 'delete /connection/{connectionID}', gen: closeConnection },
  { weight: 0.5, operation: 'get /version', gen: plainGet('/version') },
  { weight: 0.5, operation: 'get /providerstatus', gen: plainGet('/providerstatus') },
  { weight: 0.2, operation: 'get /openapi.json', gen: plainGet('/openapi.json') },
  { weight: 1.5, operation: '', gen: stray },
];

const TOTAL_WEIGHT = GENERATORS.reduce((sum, g) => sum + g.weight, 0);

/** The operations the generators cover: each of the document must be among them. */
export const FUZZED_OPERATIONS: readonly string[] = GENERATORS.map((g) => g.operation).filter(
  Boolean,
);

export function fuzzRequest(r: FuzzRandom, ctx: RequestContext, caseSeed: number): FuzzRequest {
  let pick = r.next() * TOTAL_WEIGHT;
  for (const { weight, gen } of GENERATORS) {
    pick -= weight;
    if (pick < 0) return gen(r, ctx, caseSeed);
  }
  return stray(r);
}
