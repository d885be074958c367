import { UserInputSchema } from '@sftpgo/provider';
import { z } from 'zod';
import { backupRoutes } from './backup-routes.js';
import { connectionRoutes } from './connection-routes.js';
import { coreRoutes } from './core-routes.js';
import { quotaRoutes } from './quota-routes.js';
import type { HttpMethod, ResponseSpec, RouteSpec } from './route.js';
import {
  ApiResponseSchema,
  ConnectionStatusSchema,
  PublicUserSchema,
  QuotaScanRequestSchema,
  QuotaScanSchema,
  UserUpdateSchema,
  VersionInfoSchema,
} from './schemas.js';
import { userRoutes } from './user-routes.js';

/** A JSON Schema, in the OpenAPI 3.0 dialect. */
export type JsonSchema = Record<string, unknown>;

/** The bodies of a request or an answer, by media type. */
export type OpenApiContent = Readonly<Record<string, { readonly schema: JsonSchema }>>;

/** An operation of the document. */
export interface OpenApiOperation {
  /** The reference server's tag of the operation, which generated clients name their classes after. */
  readonly tags: readonly [string];
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly parameters?: readonly {
    readonly name: string;
    readonly in: 'path' | 'query';
    readonly required: boolean;
    readonly description: string;
    readonly schema: JsonSchema;
  }[];
  readonly requestBody?: { readonly required: boolean; readonly content: OpenApiContent };
  readonly responses: Readonly<
    Record<string, { readonly description: string; readonly content?: OpenApiContent }>
  >;
}

/** The OpenAPI 3.0 document of the v1 API. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: Record<string, unknown>;
  readonly servers: readonly { readonly url: string }[];
  readonly paths: Readonly<Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>>;
  readonly components: { readonly schemas: Readonly<Record<string, JsonSchema>> } & Record<
    string,
    unknown
  >;
  readonly [key: string]: unknown;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'openapi-3.0',
  }) as JsonSchema;
  return rest;
}

/** The user of POST bodies: the provider's schema, with what it cannot say. */
function userInputSchema(): JsonSchema {
  const schema = jsonSchema(UserInputSchema, 'input');
  const properties = schema.properties as Record<string, JsonSchema>;
  properties.id = {
    ...properties.id,
    description: 'Ignored when adding; when updating, the id of the path if given.',
  };
  properties.password = {
    ...properties.password,
    description:
      'A plain password, stored hashed (argon2id), or a hash in a supported format, stored as is. A value with the prefix of a supported format that does not parse as that format is refused (400). Never returned. A password or a public key is required.',
  };
  properties.public_keys = {
    ...properties.public_keys,
    description: 'Public keys in the authorized_keys format.',
  };
  properties.home_dir = {
    ...properties.home_dir,
    description:
      'Absolute. May be left out when data_provider.users_base_dir is set: the user then gets users_base_dir/username.',
  };
  properties.permissions = {
    ...properties.permissions,
    description:
      'Permissions of each absolute directory, which must include "/" with at least one permission; "*" grants every permission, and an empty list below "/" none in that directory. Keys are cleaned (`/a/` is `/a`): a key that is an alias of "/" (`/..`, `//`) and two keys that name the same directory are refused.',
  };
  for (const field of ['used_quota_size', 'used_quota_files', 'last_quota_update', 'last_login']) {
    properties[field] = { ...properties[field], description: 'Maintained by the server: ignored.' };
  }
  return {
    ...schema,
    required: (schema.required as string[]).filter((name) => name !== 'home_dir'),
    description:
      'A user to add. A field set to null is taken as absent, a list set to null as empty. Unknown fields are ignored; the lists of SFTPGo 0.9.6 this server does not have (`virtual_folders`, `filters.denied_login_methods`, `filters.file_extensions`) are accepted only when empty. Every problem is reported at once (400 `Validation error: ...`).',
  };
}

/**
 * The document's components: each named schema, and how its JSON schema is
 * made. Routes refer to a component by its zod schema, never repeat it.
 */
const COMPONENTS: readonly (readonly [name: string, schema: z.ZodType, json: () => JsonSchema])[] =
  [
    ['ApiResponse', ApiResponseSchema, () => jsonSchema(ApiResponseSchema, 'output')],
    ['VersionInfo', VersionInfoSchema, () => jsonSchema(VersionInfoSchema, 'output')],
    ['User', PublicUserSchema, () => jsonSchema(PublicUserSchema, 'output')],
    ['UserInput', UserInputSchema, userInputSchema],
    [
      'UserUpdate',
      UserUpdateSchema,
      () => ({ ...userInputSchema(), required: [], description: UserUpdateSchema.description }),
    ],
    [
      'ConnectionStatus',
      ConnectionStatusSchema,
      () => jsonSchema(ConnectionStatusSchema, 'output'),
    ],
    ['QuotaScan', QuotaScanSchema, () => jsonSchema(QuotaScanSchema, 'output')],
    ['QuotaScanRequest', QuotaScanRequestSchema, () => jsonSchema(QuotaScanRequestSchema, 'input')],
  ];

const COMPONENT_OF = new Map(COMPONENTS.map(([name, schema]) => [schema, name]));

/** A reference to the component of `schema`, or the JSON schema of an unnamed one. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const name = COMPONENT_OF.get(schema);
  if (name) return { $ref: `#/components/schemas/${name}` };
  if (schema instanceof z.ZodArray) {
    return { type: 'array', items: schemaOf(schema.element as z.ZodType, io) };
  }
  return jsonSchema(schema, io);
}

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

/** Answers every operation may give. */
const ANY_OPERATION: Record<number, ResponseSpec> = {
  401: 'Unauthorized: HTTP basic credentials of a user of `httpd.auth_user_file` are required.',
};
/** Answers of the operations that read a JSON body. */
const BODY_ERRORS: Record<number, ResponseSpec> = {
  413: 'The request body is larger than 1 MiB.',
  415: 'The request body has an unsupported charset or content encoding.',
};

function parametersOf(
  shape: Readonly<Record<string, z.ZodType>> | undefined,
  where: 'path' | 'query',
): NonNullable<OpenApiOperation['parameters']> {
  if (!shape) return [];
  const object = jsonSchema(z.object(shape), 'input');
  const required = new Set(object.required as string[] | undefined);
  const properties = object.properties as Record<string, JsonSchema>;
  return Object.entries(properties).map(([name, { description, ...schema }]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    description: String(description ?? ''),
    schema,
  }));
}

function operationOf(spec: RouteSpec): OpenApiOperation {
  const parameters = [...parametersOf(spec.params, 'path'), ...parametersOf(spec.query, 'query')];
  const answers = { ...spec.responses, ...(spec.body ? BODY_ERRORS : {}), ...ANY_OPERATION };
  const responses = Object.fromEntries(
    Object.entries(answers)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([status, answer]) => {
        const { description, schema } =
          typeof answer === 'string' ? { description: answer, schema: ApiResponseSchema } : answer;
        return [status, { description, content: json(schemaOf(schema, 'output')) }];
      }),
  );
  return {
    tags: [spec.tag],
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.body
      ? { requestBody: { required: true, content: json(schemaOf(spec.body, 'input')) } }
      : {}),
    responses,
  };
}

/** Every route of the v1 API, in the document's order. */
const API_ROUTES: readonly { readonly spec: RouteSpec }[] = [
  ...coreRoutes,
  ...userRoutes,
  ...connectionRoutes,
  ...quotaRoutes,
  ...backupRoutes,
];

/** The paths of the document, from the routes' own declarations. */
function pathsOf(routes: readonly { readonly spec: RouteSpec }[]): OpenApiDocument['paths'] {
  const paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>> = {};
  for (const { spec } of routes) {
    paths[spec.path] ??= {};
    (paths[spec.path] as Partial<Record<HttpMethod, OpenApiOperation>>)[spec.method] =
      operationOf(spec);
  }
  return paths;
}

function buildDocument(): OpenApiDocument {
  return {
    openapi: '3.0.3',
    info: {
      title: 'SFTPGo-node REST API',
      version: '1.0.0',
      description:
        'The v1 REST API of SFTPGo 0.9, as sftpgo-node serves it. Answers are JSON; messages and errors are `{error, message, status}` objects. Beyond the reference server: a taken username answers 409 (not 500); `loaddata` reads a path relative to `backups_path` as well as an absolute path inside it; `loaddata` has a `replace` parameter; `/openapi.json` serves this document. Any other path answers 404 `Not Found`.',
      license: { name: 'GPL-3.0-only', url: 'https://www.gnu.org/licenses/gpl-3.0.html' },
    },
    servers: [{ url: '/api/v1' }],
    security: [{}, { BasicAuth: [] }],
    tags: [
      { name: 'version', description: 'The version of the server.' },
      { name: 'providerstatus', description: 'Whether the data provider answers.' },
      { name: 'connections', description: 'The live SSH connections.' },
      { name: 'quota', description: 'Quota scans.' },
      { name: 'users', description: 'The users of the data provider.' },
      { name: 'maintenance', description: 'Backups of the users: dumpdata and loaddata.' },
      { name: 'openapi', description: 'This document; not in the reference server.' },
    ],
    paths: pathsOf(API_ROUTES),
    components: {
      schemas: Object.fromEntries(COMPONENTS.map(([name, , json]) => [name, json()])),
      securitySchemes: {
        BasicAuth: {
          type: 'http',
          scheme: 'basic',
          description: 'Required when `httpd.auth_user_file` is set.',
        },
      },
    },
  };
}

let document: OpenApiDocument | undefined;

/**
 * The OpenAPI 3.0 document of the v1 API, generated from the declarations of
 * its routes, the ones the router is built from, and the zod schemas of their
 * bodies: 3.0 as the reference server's, which the generators it names
 * (swagger-codegen, OpenAPI Generator) all read.
 */
export function openApiDocument(): OpenApiDocument {
  document ??= buildDocument();
  return document;
}
