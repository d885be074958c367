// Request bodies: a valid document, the same slightly wrong, noise, bytes
// that are not JSON, nesting and sizes past the limits, and JSON sent under
// every wrong label (type, charset, encoding).
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { type FuzzRandom, fuzzJson, fuzzString, mutateBytes, mutateJson } from '@sftpgo/test-utils';
import { percentEncode } from './fuzz-values.js';
import { confineHomeDir } from './user-samples.js';

export interface FuzzBody {
  readonly bytes: string | Buffer;
  /** Absent: none sent, which fetch labels `text/plain` for a string. */
  readonly contentType?: string;
  readonly contentEncoding?: string;
  /** The value `bytes` is the JSON of, when it is one that the API reads as it is. */
  readonly json?: unknown;
  /** What kind of body it is, for a failure message. */
  readonly kind: string;
}

/** The request body limit of the API is 1 MB: below, at and past it. */
const HUGE_LENGTHS = [300, 70_000, 1_100_000];

const WRONG_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=nope',
  'application/json;;;',
  '*/*',
  'json',
];

/** A gzip of 16 MiB of spaces: small on the wire, past the limit once inflated. Made once. */
let gzipBomb: Buffer | undefined;

function json(value: unknown, kind: string): FuzzBody {
  return { bytes: JSON.stringify(value), contentType: 'application/json', json: value, kind };
}

/** Nesting `depth` levels deep, alone or as a field of `seed`, closed or not. */
function deepBody(r: FuzzRandom, seed: Record<string, unknown>): FuzzBody {
  const depth = r.pick([64, 5_000, 200_000, 600_000]);
  const [open, close] = r.chance(0.5) ? ['[', ']'] : ['{"a":', '}'];
  const nested = `${open.repeat(depth)}1${r.chance(0.9) ? close.repeat(depth) : ''}`;
  const field = r.pick(['permissions', 'filters', 'filesystem', 'public_keys', 'username']);
  const text = r.chance(0.5)
    ? nested
    : JSON.stringify({ ...seed, [field]: 0 }).replace(`"${field}":0`, `"${field}":${nested}`);
  return { bytes: text, contentType: 'application/json', kind: `nesting ${depth} deep` };
}

/** `seed` with one field a very long string: past the validation's bounds, or the body limit. */
function hugeStringBody(r: FuzzRandom, seed: Record<string, unknown>, homesRoot: string): FuzzBody {
  const length = r.pick(HUGE_LENGTHS);
  const field = r.pick(['username', 'home_dir', 'password', 'public_keys', 'permissions', 'x']);
  const huge = 'x'.repeat(length);
  const value =
    field === 'home_dir'
      ? `${homesRoot}/${huge}`
      : field === 'public_keys'
        ? [huge]
        : field === 'permissions'
          ? { [`/${huge}`]: ['*'], '/': ['*'] }
          : huge;
  return json({ ...seed, [field]: value }, `${field} of ${length} characters`);
}

/** Keys that assigning, rather than defining, turns into a prototype or its constructor. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

/**
 * `seed` as JSON with a key such as `__proto__` written in it, at the top or
 * in a nested object: JSON.parse makes it an own key, which code that copies
 * by assignment turns into a prototype whose fields are then read as sent.
 */
function prototypeKeyBody(r: FuzzRandom, seed: Record<string, unknown>): FuzzBody {
  const key = r.pick(PROTOTYPE_KEYS);
  const smuggled = r.chance(0.6)
    ? {
        status: 1,
        home_dir: '/smuggled',
        filters: { allowed_ip: ['10.0.0.0/8'], denied_ip: [] },
        filesystem: { provider: r.int(3) },
        permissions: { '/': ['*'] },
        password: 'smuggled',
      }
    : fuzzJson(r, 2);
  const member = `"${key}":${JSON.stringify(smuggled) ?? 'null'}`;
  const text = JSON.stringify(seed);
  const nested = r.pick(['"filters":{', '"filesystem":{', '"permissions":{', '"s3config":{']);
  const inserted =
    r.chance(0.5) && text.includes(nested)
      ? text.replace(nested, `${nested}${member},`)
      : text === '{}'
        ? `{${member}}`
        : `{${member},${text.slice(1)}`;
  return {
    bytes: inserted.replace(/,}/g, '}'),
    contentType: 'application/json',
    kind: `${key} key`,
  };
}

/** `value` as JSON under a wrong label: a type, a charset, an encoding, or another syntax. */
function mislabelled(r: FuzzRandom, value: unknown): FuzzBody {
  const text = JSON.stringify(value);
  switch (r.int(6)) {
    case 0:
      // read as JSON whatever the type, as the reference server reads it
      return { bytes: text, contentType: r.pick(WRONG_TYPES), json: value, kind: 'wrong type' };
    case 1:
      return { bytes: text, kind: 'no type' };
    case 2: {
      const encoding = r.pick(['gzip', 'deflate', 'br'] as const);
      const packed = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync }[encoding](
        text,
      );
      return {
        bytes: r.chance(0.7) ? packed : mutateBytes(r, packed),
        contentType: 'application/json',
        contentEncoding: encoding,
        kind: `${encoding}-encoded`,
      };
    }
    case 3:
      gzipBomb ??= gzipSync(Buffer.alloc(16 * 1024 * 1024, ' '));
      return {
        bytes: gzipBomb,
        contentType: 'application/json',
        contentEncoding: 'gzip',
        kind: 'gzip bomb',
      };
    case 4:
      return {
        bytes: text,
        contentType: 'application/json',
        contentEncoding: r.pick(['compress', 'identity', 'gzip, gzip', 'bogus']),
        kind: 'unknown encoding',
      };
    default: {
      const form = Object.entries(value as object)
        .map(([k, v]) => `${percentEncode(k)}=${percentEncode(String(v))}`)
        .join('&');
      return { bytes: form, contentType: 'application/x-www-form-urlencoded', kind: 'form' };
    }
  }
}

/**
 * A body for a route that reads a JSON object, made from `seed`, a valid
 * one: as it is, mutated, replaced by noise, damaged, nested, huge or
 * mislabelled. Absolute home dirs stay under `homesRoot` (see confineHomeDir).
 */
export function fuzzBody(
  r: FuzzRandom,
  seed: Record<string, unknown>,
  homesRoot: string,
): FuzzBody {
  switch (r.int(21)) {
    case 0:
    case 1:
    case 2:
      return json(seed, 'valid');
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 8:
      return json(confineHomeDir(mutateJson(r, seed), homesRoot), 'mutated');
    case 9:
    case 10:
      return json(confineHomeDir(fuzzJson(r, 4), homesRoot), 'random JSON');
    case 11:
    case 12:
      return {
        bytes: mutateBytes(r, Buffer.from(JSON.stringify(seed))),
        contentType: 'application/json',
        kind: 'damaged bytes',
      };
    case 13:
      return deepBody(r, seed);
    case 14:
      return hugeStringBody(r, seed, homesRoot);
    case 15:
    case 16:
      return mislabelled(r, seed);
    case 18:
      return prototypeKeyBody(r, seed);
    case 17:
      return {
        bytes: r.pick(['', ' ', 'null', '"text"', '42', 'true', '[]', '[{}]', '{}', '\uFEFF{}']),
        contentType: 'application/json',
        kind: 'scalar or empty',
      };
    default:
      return {
        bytes: r.chance(0.5) ? r.bytes(r.int(64)) : fuzzString(r, 200),
        contentType: r.chance(0.5) ? 'application/json' : r.pick(WRONG_TYPES),
        kind: 'noise',
      };
  }
}
