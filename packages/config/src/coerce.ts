import type { z } from 'zod';
import { getOwn, isRecord, setOwn } from './objects.js';
import { inspect } from './schema-nodes.js';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Turns the text of a string-only source (an environment variable, an .env
 * or .properties file) into the type `schema` expects. Throws an Error whose
 * message says what the text should have been.
 */
export function coerce(text: string, schema: z.ZodType): unknown {
  const { shape } = inspect(schema);
  switch (shape.kind) {
    case 'string':
      return text;
    case 'number': {
      const trimmed = text.trim();
      if (!NUMBER.test(trimmed)) throw new Error(`${JSON.stringify(text)} is not a number`);
      return Number(trimmed);
    }
    case 'boolean': {
      const lower = text.trim().toLowerCase();
      if (lower === 'true' || lower === 'false') return lower === 'true';
      throw new Error(`${JSON.stringify(text)} is not true or false`);
    }
    case 'list': {
      if (text.trim() === '') return [];
      if (inspect(shape.element).shape.kind === 'section') return jsonList(text);
      return text.split(',').map((item) => coerce(item.trim(), shape.element));
    }
    case 'section':
      throw new Error('is a section: set its keys one by one');
  }
}

function jsonList(text: string): unknown[] {
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

/**
 * Coerces every string of `data` whose key the schema expects as another
 * type. Keys the schema does not know are left for its validation to name.
 */
export function coerceStrings(
  data: Record<string, unknown>,
  schema: z.ZodType,
  problems: Problem[],
  path: readonly string[] = [],
): Record<string, unknown> {
  const { shape } = inspect(schema);
  if (shape.kind !== 'section') return data;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    const keySchema = getOwn(shape.keys, key) as z.ZodType | undefined;
    let coerced = value;
    if (keySchema !== undefined && isRecord(value)) {
      coerced = coerceStrings(value, keySchema, problems, [...path, key]);
    } else if (keySchema !== undefined && typeof value === 'string') {
      try {
        coerced = coerce(value, keySchema);
      } catch (err) {
        problems.push({ path: [...path, key], message: (err as Error).message });
      }
    }
    setOwn(result, key, coerced);
  }
  return result;
}
