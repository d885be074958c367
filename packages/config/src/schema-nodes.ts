import { z } from 'zod';
import { ConfigSchema } from './schema.js';

/**
 * What the schema expects at one key, seen through its default and
 * description wrappers: enough to coerce text to it and to document it.
 */
export type ValueShape =
  | { readonly kind: 'section'; readonly keys: Readonly<Record<string, z.ZodType>> }
  | { readonly kind: 'list'; readonly element: z.ZodType }
  | {
      readonly kind: 'number';
      readonly integer: boolean;
      readonly min?: number;
      readonly max?: number;
      readonly values?: readonly number[];
    }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'string'; readonly values?: readonly string[] };

export interface SchemaNode {
  readonly shape: ValueShape;
  readonly description?: string;
}

function literalShape(values: readonly unknown[]): ValueShape {
  if (values.every((v) => typeof v === 'number')) {
    return { kind: 'number', integer: values.every(Number.isInteger), values };
  }
  if (values.every((v) => typeof v === 'string')) return { kind: 'string', values };
  throw new Error(`mixed literal values in the configuration schema: ${values.join(', ')}`);
}

/** Reads a schema the way the loaders and the reference need it. */
export function inspect(schema: z.ZodType): SchemaNode {
  let description = schema.description;
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodPrefault) {
    inner = inner.unwrap() as z.ZodType;
    description ??= inner.description;
  }
  const node = (shape: ValueShape): SchemaNode =>
    description === undefined ? { shape } : { shape, description };
  if (inner instanceof z.ZodObject) return node({ kind: 'section', keys: inner.shape });
  if (inner instanceof z.ZodArray)
    return node({ kind: 'list', element: inner.element as z.ZodType });
  if (inner instanceof z.ZodBoolean) return node({ kind: 'boolean' });
  if (inner instanceof z.ZodString) return node({ kind: 'string' });
  if (inner instanceof z.ZodEnum) return node(literalShape(inner.options));
  if (inner instanceof z.ZodLiteral) return node(literalShape([...inner.values]));
  if (inner instanceof z.ZodNumber) {
    const { minValue, maxValue, isInt } = inner;
    // An integer check alone bounds a number to the safe integers: no limit worth telling.
    return node({
      kind: 'number',
      integer: isInt,
      ...(minValue !== null && minValue > Number.MIN_SAFE_INTEGER ? { min: minValue } : {}),
      ...(maxValue !== null && maxValue < Number.MAX_SAFE_INTEGER ? { max: maxValue } : {}),
    });
  }
  // A new kind of value in the schema needs its coercion and its documentation here.
  throw new Error(`unsupported ${inner.def.type} schema in the configuration`);
}

/** The schema of the key at `path`, or undefined when no key has that path. */
export function schemaAt(path: readonly string[]): z.ZodType | undefined {
  let schema: z.ZodType = ConfigSchema;
  for (const key of path) {
    const { shape } = inspect(schema);
    if (shape.kind !== 'section' || !Object.hasOwn(shape.keys, key)) return undefined;
    schema = shape.keys[key]!;
  }
  return schema;
}
