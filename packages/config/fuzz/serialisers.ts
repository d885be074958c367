// Tiny writers of a JSON value in each configuration format. They aim at
// text the loader mostly reads back, so that mutated values reach the
// coercion and the schema; an odd key or value that comes out unreadable
// only tests the parser's errors instead, which is as welcome.
import type { ConfigExtension } from '@sftpgo/config';
import { stringify as stringifyYaml } from 'yaml';
import { isRecord } from './records.js';

type Entry = readonly [key: string, value: unknown];
type Leaf = readonly [key: string, text: string];

/** Entries with a value: null means "the default", which the nested formats cannot all say. */
const present = (value: Record<string, unknown>): Entry[] =>
  Object.entries(value).filter(([, v]) => v !== null);

/** A top-level value that is not a mapping, under one key so that every format can hold it. */
const asMapping = (value: unknown): Record<string, unknown> =>
  isRecord(value) ? value : { value };

/** A double-quoted string with only the escapes TOML and HCL share: \b and \f, TOML's only, go as \u. */
function quoted(text: string): string {
  let out = '"';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : quoted(key);
}

function tomlInline(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value
      .filter((v) => v !== null)
      .map(tomlInline)
      .join(', ')}]`;
  }
  if (isRecord(value)) {
    return `{ ${present(value)
      .map(([k, v]) => `${tomlKey(k)} = ${tomlInline(v)}`)
      .join(', ')} }`;
  }
  return typeof value === 'string' ? quoted(value) : String(value);
}

/** A table's plain keys first, then its sub-tables under `[a.b]` headers, as TOML requires. */
function toml(table: Record<string, unknown>, path: readonly string[] = []): string[] {
  const entries = present(table);
  const lines = path.length > 0 ? [`[${path.map(tomlKey).join('.')}]`] : [];
  for (const [key, value] of entries) {
    if (!isRecord(value)) lines.push(`${tomlKey(key)} = ${tomlInline(value)}`);
  }
  for (const [key, value] of entries) {
    if (isRecord(value)) lines.push(...toml(value, [...path, key]));
  }
  return lines;
}

function hclKey(key: string): string {
  return /^[A-Za-z_][\w-]*$/.test(key) ? key : quoted(key);
}

function hclValue(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    return `[${value
      .filter((v) => v !== null)
      .map((v) => hclValue(v, indent))
      .join(', ')}]`;
  }
  if (isRecord(value)) return `{\n${hcl(value, `${indent}  `).join('\n')}\n${indent}}`;
  return typeof value === 'string' ? quoted(value) : String(value);
}

/** `key = value` items, and `key { ... }` blocks for sections, as the reference's files have them. */
function hcl(object: Record<string, unknown>, indent = ''): string[] {
  return present(object).map(([key, value]) =>
    isRecord(value)
      ? `${indent}${hclKey(key)} ${hclValue(value, indent)}`
      : `${indent}${hclKey(key)} = ${hclValue(value, indent)}`,
  );
}

/** A leaf as the flat formats and the variables hold it: text, lists comma-separated or, of sections, as JSON. */
export function flatText(value: unknown): string {
  if (Array.isArray(value)) {
    return value.every((v) => !isRecord(v) && !Array.isArray(v))
      ? value.map(String).join(',')
      : JSON.stringify(value);
  }
  return String(value);
}

/** The dotted key and the text of each leaf of `value`; an empty section has none. */
function leaves(value: Record<string, unknown>, path: readonly string[] = []): Leaf[] {
  return present(value).flatMap(([key, v]): Leaf[] =>
    isRecord(v) ? leaves(v, [...path, key]) : [[[...path, key].join('.'), flatText(v)]],
  );
}

/** Backslash escapes for a .properties key or value; non-ASCII as \uXXXX, as Java writes them. */
function propertiesEscape(text: string, isKey: boolean): string {
  let out = '';
  for (const [i, c] of [...text].entries()) {
    const code = c.charCodeAt(0);
    if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === '\f') out += '\\f';
    else if ((isKey || i === 0) && ' =:#!'.includes(c)) out += `\\${c}`;
    else if (code < 0x20 || code > 0x7e) {
      // Each UTF-16 unit of the character, so that an astral one is its surrogate pair.
      for (let u = 0; u < c.length; u++) {
        out += `\\u${c.charCodeAt(u).toString(16).padStart(4, '0')}`;
      }
    } else out += c;
  }
  return out;
}

function properties(value: Record<string, unknown>): string[] {
  return leaves(value).map(
    ([key, text]) => `${propertiesEscape(key, true)}=${propertiesEscape(text, false)}`,
  );
}

/** A dotenv value in the quotes that can hold it, as node:util parseEnv reads them. */
function envValue(text: string): string {
  if (/^[\w .,/:@*+-]*$/.test(text)) return text;
  if (!/['\n]/.test(text)) return `'${text}'`;
  if (!text.includes('"')) return `"${text.replaceAll('\n', '\\n')}"`;
  return `\`${text}\``;
}

/** Keys dotted, or in the variables' style `SFTPD__BIND_PORT`: the loader reads both. */
function envfile(value: Record<string, unknown>, upperCase: boolean): string[] {
  return leaves(value).map(([key, text]) => {
    const name = upperCase ? key.toUpperCase().replaceAll('.', '__') : key;
    return `${name}=${envValue(text)}`;
  });
}

/** A value as go-ini reads it back: in backticks when it holds a comment character. */
function iniValue(text: string): string {
  return /[#;]/.test(text) && !text.includes('`') ? `\`${text}\`` : text;
}

/** A `[a.b]` header for each section that holds values, then its `key = value` lines. */
function ini(value: Record<string, unknown>, path: readonly string[] = []): string[] {
  const entries = present(value);
  const own = entries.filter(([, v]) => !isRecord(v));
  const lines = path.length > 0 && own.length > 0 ? [`[${path.join('.')}]`] : [];
  for (const [key, v] of own) lines.push(`${key} = ${iniValue(flatText(v))}`);
  for (const [key, v] of entries) {
    if (isRecord(v)) lines.push(...ini(v, [...path, key]));
  }
  return lines;
}

/**
 * `value` written in the format of `extension`. `variant` picks between the
 * ways a format offers, such as indented or compact JSON.
 */
export function serialise(value: unknown, extension: ConfigExtension, variant: number): string {
  const mapping = asMapping(value);
  switch (extension) {
    case 'json':
      // JSON takes any value at the top: the loader must refuse what is not a mapping.
      return JSON.stringify(value, null, variant % 2 === 0 ? 2 : undefined);
    case 'yaml':
    case 'yml':
      return variant % 2 === 0 ? stringifyYaml(value) : JSON.stringify(value);
    case 'toml':
      return toml(mapping).join('\n');
    case 'hcl':
      return hcl(mapping).join('\n');
    case 'properties':
    case 'props':
    case 'prop':
      return properties(mapping).join('\n');
    case 'env':
    case 'dotenv':
      return envfile(mapping, variant % 2 === 0).join('\n');
    case 'ini':
      return ini(mapping).join('\n');
  }
}
