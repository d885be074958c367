import type { OpenApiDocument } from '@sftpgo/api';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** Where the component schemas are registered, for the `$ref`s of the document. */
const ROOT = 'https://sftpgo-node.invalid/openapi.json';

/**
 * An OpenAPI 3.0 schema object as JSON Schema 2020-12: a boolean
 * `exclusiveMinimum`/`exclusiveMaximum` becomes the bound it qualifies, and
 * `nullable` a `null` type.
 */
function toJsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJsonSchema);
  if (typeof value !== 'object' || value === null) return value;
  const schema: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) schema[key] = toJsonSchema(item);
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof schema[exclusive] !== 'boolean') continue;
    if (schema[exclusive]) schema[exclusive] = schema[bound];
    else delete schema[exclusive];
    if (schema[exclusive] !== undefined) delete schema[bound];
  }
  if (schema.nullable === true && typeof schema.type === 'string') {
    schema.type = [schema.type, 'null'];
  }
  delete schema.nullable;
  return schema;
}

function rewriteRefs<T>(schema: T): T {
  return toJsonSchema(
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${ROOT}#/$defs/`)),
  ) as T;
}

/**
 * A strict JSON Schema 2020-12 validator for the schemas of `doc`, OpenAPI
 * 3.0 schema objects made JSON Schema, its component schemas reachable by
 * `$ref`.
 */
export function schemaValidator(doc: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: ROOT, $defs: rewriteRefs(doc.components.schemas) });
  const compiled = new Map<string, ValidateFunction>();
  const compile = (schema: object): ValidateFunction => {
    const key = JSON.stringify(schema);
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile(rewriteRefs(schema));
      compiled.set(key, validate);
    }
    return validate;
  };
  return {
    compile,
    /** Every way `value` breaks `schema`; empty when it is valid. */
    problems(schema: object, value: unknown): string[] {
      const validate = compile(schema);
      if (validate(value)) return [];
      return (validate.errors ?? []).map(
        (e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`,
      );
    },
  };
}
