import type { OpenApiDocument } from '@sftpgo/api';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** Where the component schemas are registered, for the `$ref`s of the document. */
const ROOT = 'https://sftpgo-node.invalid/openapi.json';

function rewriteRefs<T>(schema: T): T {
  return JSON.parse(
    JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${ROOT}#/$defs/`),
  ) as T;
}

/**
 * A strict JSON Schema 2020-12 validator (the dialect of OpenAPI 3.1) for
 * the schemas of `doc`, its component schemas reachable by `$ref`.
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
