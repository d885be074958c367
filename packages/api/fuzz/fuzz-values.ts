// The parts of a URL the fuzzer writes: ids in paths and query strings, at
// the edges of what the API reads and past them.
import { type FuzzRandom, fuzzString } from '@sftpgo/test-utils';

/** Texts that look like numbers to someone: signs, exponents, radixes, spaces, other digits, overflows. */
export const HOSTILE_NUMBERS = [
  '',
  ' ',
  '0',
  '-0',
  '1',
  '-1',
  '+1',
  ' 1',
  '1 ',
  '1.5',
  '1e3',
  '0x1f',
  '0b1',
  'NaN',
  'Infinity',
  '-Infinity',
  '٣',
  '１',
  '-100',
  '500',
  '501',
  '9007199254740993',
  '-9223372036854775808',
  '9223372036854775807',
  '9223372036854775808',
  '99999999999999999999',
  '9'.repeat(400),
  `-${'9'.repeat(400)}`,
  `${'0'.repeat(300)}1`,
];

/** Values that are no number, or that other layers may take for something else. */
const HOSTILE_TEXTS = [
  '\0',
  'a\0b',
  'true',
  'null',
  'undefined',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '../',
  '%',
  '\u2028',
  'x'.repeat(5000),
];

/** Keys that a parser building objects may take for something else. */
const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  '__proto__[limit]',
  'constructor[prototype][x]',
];

/**
 * `text` percent-encoded as UTF-8 bytes: unlike `encodeURIComponent`, a
 * lone surrogate does not throw (it is sent as U+FFFD, as fetch would send it).
 */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A hostile value for any parameter. */
export function hostileValue(r: FuzzRandom): string {
  switch (r.int(3)) {
    case 0:
      return r.pick(HOSTILE_NUMBERS);
    case 1:
      return r.pick(HOSTILE_TEXTS);
    default:
      return fuzzString(r, 30);
  }
}

/** Generates the values of one query parameter. */
export type ValueGen = (r: FuzzRandom) => string;

/** The longest query string sent: Node's HTTP parser refuses headers past 16 KiB before the API sees them. */
const MAX_QUERY = 12_000;

/**
 * A query string (with its `?`, or empty) for `params`: each present or not,
 * with its own kind of value or a hostile one, repeated, beside keys that
 * mean something to object builders, percent-encoded or sent raw.
 */
export function fuzzQuery(r: FuzzRandom, params: Readonly<Record<string, ValueGen>>): string {
  const pairs: [string, string][] = [];
  for (const [name, gen] of Object.entries(params)) {
    if (r.chance(0.3)) continue;
    pairs.push([name, r.chance(0.85) ? gen(r) : hostileValue(r)]);
    // repeated: the first one is read, and must be the one checked
    if (r.chance(0.15)) pairs.push([name, r.chance(0.5) ? gen(r) : hostileValue(r)]);
  }
  if (r.chance(0.15)) pairs.push([r.pick(HOSTILE_KEYS), hostileValue(r)]);
  if (r.chance(0.05)) pairs.push([fuzzString(r, 10), fuzzString(r, 10)]);
  if (r.chance(0.1) && pairs.length > 1) pairs.reverse();
  if (pairs.length === 0) return '';
  const raw = r.chance(0.1);
  const text = pairs
    .map(([k, v]) => (raw ? `${k}=${v}` : `${percentEncode(k)}=${percentEncode(v)}`))
    .join('&');
  return `?${text.slice(0, MAX_QUERY)}`;
}

/** A path segment and the user id the API must read in it, if it is one. */
export interface PathId {
  readonly text: string;
  /** The id a decimal number names, leading zeros and percent-encoded digits included. */
  readonly id: number | undefined;
}

/** Segments that routers and decoders may take for something else. */
const HOSTILE_SEGMENTS = [
  '%00',
  '%',
  '%zz',
  '%2F',
  '%2e%2e',
  '%2e',
  'a%2Fb',
  '%E0%A4%A',
  '%C0%AE',
  '%F0%9F%98%80',
  '1;2',
  '1%3F',
  '%23',
  '1%00',
  '%20',
  '%0A',
];

function idOf(text: string): number | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    return undefined;
  }
  return /^\d+$/.test(decoded) ? Number(decoded) : undefined;
}

/** A path segment for `{userID}` or `{connectionID}`: mostly one of `ids`, else anything. */
export function fuzzPathId(r: FuzzRandom, ids: readonly (number | string)[]): PathId {
  const text = ((): string => {
    const some = ids.length > 0 ? String(r.pick(ids)) : String(r.int(50));
    switch (r.int(12)) {
      case 0:
      case 1:
      case 2:
      case 3:
        return some;
      case 4:
        return `00${some}`;
      case 5:
        // a digit encoded: the router decodes it, and must read the same id
        return [...some].map((c) => (/\d/.test(c) ? `%3${c}` : c)).join('');
      case 6:
        return String(r.int(100));
      case 7:
        return r.pick(HOSTILE_NUMBERS).trim() || '0';
      case 8:
        return percentEncode(fuzzString(r, 20)) || 'x';
      case 9:
        return `${some}${r.pick(HOSTILE_SEGMENTS)}`;
      default:
        return r.pick(HOSTILE_SEGMENTS);
    }
  })();
  return { text: percentPlain(text), id: idOf(text) };
}

/** `text` with the characters a URL parser would reinterpret (`?`, `#`, `/`, spaces) encoded. */
function percentPlain(text: string): string {
  return text.replace(/[?#/ \\]/g, (c) => percentEncode(c));
}
