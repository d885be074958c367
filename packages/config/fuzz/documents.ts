// The configuration files of the cases: the test fixtures, made slightly
// wrong as data or as bytes, hostile keys that would pollute prototypes if a
// parser assigned them, noise, and what exposes a parser whose time or stack
// grows faster than its input: long runs of one token, deep nesting, YAML
// aliases.
import { readFile } from 'node:fs/promises';
import type { ConfigExtension } from '@sftpgo/config';
import { type FuzzRandom, fuzzJson, fuzzString, mutateBytes, mutateJson } from '@sftpgo/test-utils';
import { isRecord } from './records.js';
import { serialise } from './serialisers.js';

/** The fixture file of each extension: the tests keep one per format. */
const FIXTURE_EXTENSION: Readonly<Record<ConfigExtension, string>> = {
  json: 'json',
  toml: 'toml',
  yaml: 'yaml',
  yml: 'yaml',
  properties: 'properties',
  props: 'properties',
  prop: 'properties',
  hcl: 'hcl',
  dotenv: 'env',
  env: 'env',
  ini: 'ini',
};

const FIXTURE_SETS = ['default', 'custom'] as const;

export interface Fixtures {
  /** Whole configurations as data, to mutate then write in any format. */
  readonly configurations: readonly unknown[];
  /** The fixture files of each format, to mutate byte by byte. */
  readonly files: Readonly<Record<string, readonly Buffer[]>>;
}

const fixture = (set: string, file: string) =>
  readFile(new URL(`../test/fixtures/${set}/${file}`, import.meta.url));

/** Reads the test fixtures: the default and custom sets, and a file of the reference's release 0.9.6. */
export async function readFixtures(): Promise<Fixtures> {
  const sets = [...FIXTURE_SETS, 'reference-0.9.6'];
  const configurations = await Promise.all(
    sets.map(async (set) => JSON.parse((await fixture(set, 'sftpgo.json')).toString('utf8'))),
  );
  const files: Record<string, Buffer[]> = {};
  for (const extension of new Set(Object.values(FIXTURE_EXTENSION))) {
    files[extension] = await Promise.all(
      FIXTURE_SETS.map((set) => fixture(set, `sftpgo.${extension}`)),
    );
  }
  return { configurations, files };
}

/** The property a polluted prototype would show: no object of the workspace has it. */
export const POLLUTION_MARK = 'fuzzPolluted';

/** Keys that name a prototype, or a method every object inherits. */
export const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '__PROTO__',
  'Constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
] as const;

/** An object with `key` as its own property, as a parser that assigns plainly would not make it. */
function withOwn(key: string, value: unknown): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  Object.defineProperty(object, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return object;
}

/**
 * What a hostile key carries: the mark, one or two levels down, where
 * `__proto__.x` or `constructor.prototype.x` would put it.
 */
function hostileValue(r: FuzzRandom): unknown {
  switch (r.int(5)) {
    case 0:
      return { [POLLUTION_MARK]: 'yes' };
    case 1:
      return { prototype: { [POLLUTION_MARK]: 'yes' } };
    case 2:
      return withOwn('__proto__', { [POLLUTION_MARK]: 'yes' });
    case 3:
      return [{ [POLLUTION_MARK]: 'yes' }];
    default:
      return fuzzJson(r, 1);
  }
}

/** Adds a hostile key, in place, to the top or to a section some levels down. */
function addHostileKey(r: FuzzRandom, document: Record<string, unknown>): void {
  let section = document;
  for (;;) {
    const sections = Object.values(section).filter(isRecord);
    if (sections.length === 0 || r.chance(0.4)) break;
    section = r.pick(sections);
  }
  Object.defineProperty(section, r.pick(HOSTILE_KEYS), {
    value: hostileValue(r),
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** A copy of `configuration` with the value of one key, at any depth, replaced or mutated. */
function withOneKeyMutated(r: FuzzRandom, configuration: unknown): unknown {
  const copy = structuredClone(configuration);
  let section = copy;
  while (isRecord(section)) {
    const keys = Object.keys(section);
    if (keys.length === 0) break;
    const key = r.pick(keys);
    if (isRecord(section[key]) && r.chance(0.7)) {
      section = section[key];
      continue;
    }
    section[key] = r.chance(0.5) ? fuzzJson(r, 1) : mutateJson(r, section[key]);
    break;
  }
  return copy;
}

/**
 * A configuration made slightly wrong: in one key, which leaves the rest
 * valid for the variables to apply over, or all over; sometimes with
 * hostile keys.
 */
function mutatedConfiguration(r: FuzzRandom, fixtures: Fixtures): unknown {
  const configuration = r.pick(fixtures.configurations);
  // Both mutations copy every object and array, so the hostile keys go into the copy.
  const value = r.chance(0.5) ? withOneKeyMutated(r, configuration) : mutateJson(r, configuration);
  if (isRecord(value) && r.chance(0.3)) {
    for (let n = 1 + r.int(3); n > 0; n--) addHostileKey(r, value);
  }
  return value;
}

/** Lines of random text, some shaped as `key = value`. */
function randomText(r: FuzzRandom): string {
  return Array.from({ length: r.int(12) }, () =>
    r.chance(0.5)
      ? `${fuzzString(r, 16)}${r.pick(['=', ':', ' = ', ' '])}${fuzzString(r, 24)}`
      : fuzzString(r, 60),
  ).join(r.pick(['\n', '\r\n', '\r']));
}

/** Tokens that open, escape or continue something: repeated, they probe for super-linear parsing. */
const REPEATED = [
  '[',
  '{',
  '"',
  '\\',
  'a\\\n',
  '\\\\\\x',
  '- ',
  'a: ',
  'a:\n ',
  '#',
  '/*',
  ' ',
  '\n',
  'a.',
  '=\\u',
  '`',
  '[[',
  'x = [',
  '{a=',
  '\t',
  "'",
  'a__',
  '${',
];

/** One token repeated up to 64 KiB, sometimes after a key so that it lands in a value. */
function longRun(r: FuzzRandom): string {
  const token = r.pick(REPEATED);
  const length = 1 << r.int(17);
  const prefix = r.pick(['', 'sftpd.banner=', 'sftpd:\n  banner: ', '[sftpd]\nbanner = ']);
  return prefix + token.repeat(Math.ceil(length / token.length));
}

/** How a format nests a value in another: `before`, `open` n times, `leaf`, `close` n times, `after`. */
interface Nesting {
  readonly before: string;
  readonly open: string;
  readonly leaf: string;
  readonly close: string;
  readonly after: string;
}

const nesting = (before: string, open: string, leaf: string, close = '', after = ''): Nesting => ({
  before,
  open,
  leaf,
  close,
  after,
});

const NESTINGS: Readonly<Record<string, readonly Nesting[]>> = {
  json: [nesting('{"sftpd": {"keys": ', '[', '1', ']', '}}'), nesting('', '{"a": ', '1', '}')],
  yaml: [
    nesting('sftpd:\n  keys: ', '[', 'x', ']'),
    nesting('', '{a: ', 'x', '}'),
    nesting('sftpd:\n  keys:\n    ', '- ', 'x'),
    nesting('', '? ', 'x'),
  ],
  toml: [nesting('x = ', '[', '1', ']'), nesting('x = ', '{ a = ', '1', ' }')],
  hcl: [
    nesting('sftpd {\n  keys = ', '[', '1', ']', '\n}'),
    nesting('', 'a {\n', 'b = 1\n', '}\n'),
  ],
  // The flat formats nest by their keys.
  properties: [nesting('sftpd.', 'a.', 'x=1')],
  env: [nesting('SFTPD__', 'A__', 'X=1')],
  ini: [nesting('[sftpd.', 'a.', 'x]\nx = 1')],
};

/**
 * A value nested up to 16,384 levels deep in the syntax of the format,
 * closed or left open; often under 1,024, where a parser's time can explode
 * before its stack overflows.
 */
function deepNesting(r: FuzzRandom, extension: ConfigExtension): string {
  const { before, open, leaf, close, after } = r.pick(NESTINGS[FIXTURE_EXTENSION[extension]]!);
  const depth = r.chance(0.5) ? 1 << r.int(15) : r.int(1024);
  const end = r.chance(0.5) ? close.repeat(depth) + after : '';
  return before + open.repeat(depth) + leaf + end;
}

/** YAML aliases: each doubling the one before (a billion laughs), a long chain of them, or cycles. */
function yamlAliases(r: FuzzRandom): string {
  const lines: string[] = [];
  switch (r.int(3)) {
    case 0: {
      const levels = 5 + r.int(20);
      lines.push('a0: &a0 [x, x]');
      for (let i = 1; i < levels; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`);
      break;
    }
    case 1: {
      // Each alias names the anchor before it, or its own: a cycle.
      const length = 1 << r.int(13);
      const cycles = r.chance(0.5);
      lines.push('- &a0 x');
      for (let i = 1; i < length; i++) lines.push(`- &a${i} [*a${cycles ? i : i - 1}]`);
      break;
    }
    default:
      lines.push(
        r.pick([
          'sftpd: &s\n  actions: *s',
          'sftpd: &s {keys: [*s], actions: *s}',
          'base: &b {bind_port: 2200}\nsftpd:\n  <<: *b\n  <<: *b',
          `sftpd:\n  <<: &p {__proto__: {${POLLUTION_MARK}: 1}}\n  keys: [*p]`,
          'x: &x [*x]\nsftpd:\n  banner: *x',
        ]),
      );
  }
  return lines.join('\n');
}

export interface FuzzDocument {
  /** How the document was made, to tell in a failure. */
  readonly kind: string;
  readonly bytes: Buffer;
}

/** A configuration file for `extension`, one of the kinds above, most of them close to valid. */
export function fuzzDocument(
  r: FuzzRandom,
  extension: ConfigExtension,
  fixtures: Fixtures,
): FuzzDocument {
  // Aliases mean something to YAML only.
  if ((extension === 'yaml' || extension === 'yml') && r.chance(0.1)) {
    return { kind: 'YAML aliases', bytes: Buffer.from(yamlAliases(r)) };
  }
  const roll = r.int(100);
  if (roll < 45) {
    const text = serialise(mutatedConfiguration(r, fixtures), extension, r.int(2));
    return { kind: 'mutated configuration', bytes: Buffer.from(text) };
  }
  if (roll < 55) {
    const text = serialise(mutatedConfiguration(r, fixtures), extension, r.int(2));
    return { kind: 'mutated configuration, damaged', bytes: mutateBytes(r, Buffer.from(text)) };
  }
  if (roll < 73) {
    const file = r.pick(fixtures.files[FIXTURE_EXTENSION[extension]]!);
    return { kind: 'fixture, damaged', bytes: mutateBytes(r, file) };
  }
  if (roll < 82) return { kind: 'random text', bytes: Buffer.from(randomText(r)) };
  if (roll < 88) return { kind: 'random bytes', bytes: r.bytes(r.int(512)) };
  if (roll < 93) return { kind: 'long run', bytes: Buffer.from(longRun(r)) };
  if (roll < 99) return { kind: 'deep nesting', bytes: Buffer.from(deepNesting(r, extension)) };
  return { kind: 'empty', bytes: Buffer.alloc(0) };
}
