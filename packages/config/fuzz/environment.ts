// SFTPGO_ variables for the cases: names built from the real key paths,
// sometimes bent (a hostile or misspelt segment, one too many or too few),
// and values that are valid, edge or hostile for the key they name.
import { type FuzzRandom, fuzzString, mutateBytes } from '@sftpgo/test-utils';
import { HOSTILE_KEYS, POLLUTION_MARK } from './documents.js';
import { isRecord } from './records.js';
import { flatText } from './serialisers.js';

/** A key of the configuration, a section or a value, and its default. */
export interface ConfigKey {
  readonly path: readonly string[];
  readonly value: unknown;
}

/** Every key path of a configuration, read from `defaults`, which has them all. */
export function configKeys(defaults: unknown, path: readonly string[] = []): ConfigKey[] {
  if (!isRecord(defaults)) return [];
  return Object.entries(defaults).flatMap(([key, value]) => [
    { path: [...path, key], value },
    ...configKeys(value, [...path, key]),
  ]);
}

/** Texts at the edges of numbers, booleans and lists, and JSON that tries the prototypes. */
const EDGE_VALUES = [
  '',
  ' ',
  '0',
  '-0',
  '+5',
  '.5',
  '5.',
  '0022',
  '0x10',
  '1_000',
  '1e308',
  '1e999',
  'NaN',
  'Infinity',
  '-1',
  '65536',
  '9007199254740993',
  'true',
  'TRUE',
  'yes',
  't',
  'F',
  ',',
  ',,,',
  'upload,upload',
  ' download , ssh_cmd ',
  '[',
  '{}',
  '[]',
  '[null]',
  '[[]]',
  '[1]',
  '[{}]',
  '[{"private_key":"id_rsa"}]',
  `[{"__proto__":{"${POLLUTION_MARK}":1}}]`,
  `[{"constructor":{"prototype":{"${POLLUTION_MARK}":1}}}]`,
  `{"__proto__":{"${POLLUTION_MARK}":1}}`,
  '/etc/sftpgo/id_rsa',
  'http://',
  'https://example.com/hook',
  '10.0.0.0/8',
  '2001:db8::/129',
  'postgresql',
  'memory',
];

function bentPath(r: FuzzRandom, path: readonly string[]): string[] {
  const bent = [...path];
  const at = r.int(bent.length);
  switch (r.int(8)) {
    case 0:
      bent[at] = r.pick([...HOSTILE_KEYS, '', '_', 'PROTO']);
      break;
    case 1:
      bent.push(r.chance(0.5) ? r.pick(HOSTILE_KEYS) : fuzzString(r, 8));
      break;
    case 2:
      bent.splice(at, 1);
      break;
    case 3:
      // A typo: one character replaced.
      bent[at] = `${bent[at]!.slice(0, 2)}${fuzzString(r, 1)}${bent[at]!.slice(3)}`;
      break;
    default:
  }
  return bent;
}

/** Variables the loader must leave alone: no `__`, another prefix, or the prefix only. */
const NOT_KEYS = [
  'SFTPGO_CONFIG_DIR',
  'SFTPGO_',
  'SFTPGO__',
  'SFTPGO___',
  'SFTPGO_____',
  'sftpgo_sftpd__bind_port',
  'PATH',
];

/** A name the loader lower-cases, so written in any case. */
function anyCase(r: FuzzRandom, name: string): string {
  if (r.chance(0.8)) return name.toUpperCase();
  return [...name].map((c) => (r.chance(0.5) ? c.toUpperCase() : c)).join('');
}

function variableValue(r: FuzzRandom, key: ConfigKey): string {
  const valid = flatText(key.value);
  switch (r.int(4)) {
    case 0:
      return valid;
    case 1:
      return mutateBytes(r, Buffer.from(valid)).toString('utf8');
    case 2:
      return fuzzString(r, 40);
    default:
      return r.pick(EDGE_VALUES);
  }
}

/** One variable: mostly named after a key, with a value meant for that key, another or none. */
function variable(r: FuzzRandom, keys: readonly ConfigKey[]): [name: string, value: string] {
  const key = r.pick(keys);
  const value = variableValue(r, r.chance(0.8) ? key : r.pick(keys));
  if (r.chance(0.1)) {
    return [r.chance(0.5) ? r.pick(NOT_KEYS) : `SFTPGO_${fuzzString(r, 20)}`, value];
  }
  return [`SFTPGO_${anyCase(r, bentPath(r, key.path).join('__'))}`, value];
}

/** One to five variables. */
export function fuzzEnvironment(r: FuzzRandom, keys: readonly ConfigKey[]): NodeJS.ProcessEnv {
  const entries = Array.from({ length: 1 + r.int(5) }, () => variable(r, keys));
  // fromEntries defines each name as an own property, even one such as __proto__.
  return Object.fromEntries(entries);
}
