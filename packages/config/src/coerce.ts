import type { z } from 'zod';
import { getOwn, isRecord, setOwn } from './objects.js';
import { inspect, type ValueShape } from './schema-nodes.js';
import { closestKey, type UnknownKey } from './suggest.js';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

// Go's strconv.ParseBool, which the reference's weak decoding uses, in any case.
const TRUE = new Set(['1', 't', 'true']);
const FALSE = new Set(['0', 'f', 'false']);

/**
 * Converts one value to the type the key expects, as the reference's weakly
 * typed decoding does: numeric and boolean text, numbers for strings,
 * booleans for numbers and back. Throws an Error whose message says what the
 * value should have been; a value of another kind is left to the schema.
 */
function coerceScalar(value: unknown, shape: ValueShape): unknown {
  switch (shape.kind) {
    case 'string':
      if (typeof value === 'number') return String(value);
      if (typeof value === 'boolean') return value ? '1' : '0';
      return value;
    case 'number': {
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value !== 'string') return value;
      const trimmed = value.trim();
      if (!NUMBER.test(trimmed)) throw new Error(`${JSON.stringify(value)} is not a number`);
      return Number(trimmed);
    }
    case 'boolean': {
      if (typeof value === 'number') return value !== 0;
      if (typeof value !== 'string') return value;
      const lower = value.trim().toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
      throw new Error(`${JSON.stringify(value)} is not a boolean: 1, t, true, 0, f or false`);
    }
    default:
      return value;
  }
}

/** The items of a list given as text: comma-separated, or JSON for a list of sections. */
function splitList(text: string, element: z.ZodType): unknown[] {
  if (text.trim() === '') return [];
  if (inspect(element).shape.kind !== 'section') return text.split(',').map((i) => i.trim());
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's own message is about JSON syntax; what to write helps more.
  }
  if (!Array.isArray(value)) {
    throw new Error(
      `${JSON.stringify(text)} is not a JSON list of objects, such as [{"private_key": "id_rsa"}]`,
    );
  }
  return value;
}

export interface Problem {
  readonly path: readonly string[];
  readonly message: string;
}

/** What normalizing found: values that cannot be converted, and keys the schema does not know. */
export interface Findings {
  readonly problems: Problem[];
  readonly unknownKeys: UnknownKey[];
}

function normalizeSection(
  data: Record<string, unknown>,
  keys: Readonly<Record<string, z.ZodType>>,
  path: readonly string[],
  findings: Findings,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(data)) {
    // The reference's keys are case-insensitive.
    const key = name.toLowerCase();
    // null, as in the reference, leaves the key to its default.
    if (value === null) continue;
    const keySchema = getOwn(keys, key) as z.ZodType | undefined;
    if (keySchema === undefined) {
      const closest = closestKey(key, Object.keys(keys));
      findings.unknownKeys.push({
        path: [...path, key].join('.'),
        ...(closest === undefined ? {} : { suggestion: `"${[...path, closest].join('.')}"` }),
      });
      continue;
    }
    setOwn(result, key, normalize(value, keySchema, findings, [...path, key]));
  }
  return result;
}

/**
 * Brings parsed data to what `schema` expects, the reference's way: keys in
 * lower case, null keys dropped, values weakly converted to the key's type
 * (text from .env files and variables included), lists given as text split.
 * Keys the schema does not know are dropped and listed in `findings`, as are
 * values that cannot be converted; the schema still validates the result.
 */
export function normalize(
  value: unknown,
  schema: z.ZodType,
  findings: Findings,
  path: readonly string[] = [],
): unknown {
  const { shape } = inspect(schema);
  try {
    switch (shape.kind) {
      case 'section':
        return isRecord(value) ? normalizeSection(value, shape.keys, path, findings) : value;
      case 'list': {
        const items = typeof value === 'string' ? splitList(value, shape.element) : value;
        if (!Array.isArray(items)) return items;
        return items.map((item, i) => normalize(item, shape.element, findings, [...path, `${i}`]));
      }
      default:
        return coerceScalar(value, shape);
    }
  } catch (err) {
    findings.problems.push({ path, message: (err as Error).message });
    return value;
  }
}
