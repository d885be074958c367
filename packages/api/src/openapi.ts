import { UserInputSchema } from '@sftpgo/provider';
import { z } from 'zod';
import { MAX_RESTORE_SIZE } from './backup-routes.js';
import {
  ApiResponseSchema,
  ConnectionStatusSchema,
  PublicUserSchema,
  QuotaScanRequestSchema,
  QuotaScanSchema,
  VersionInfoSchema,
} from './schemas.js';

type JsonSchema = Record<string, unknown>;

type Content = Readonly<Record<string, { readonly schema: JsonSchema }>>;

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
  readonly requestBody?: { readonly required: boolean; readonly content: Content };
  readonly responses: Readonly<
    Record<string, { readonly description: string; readonly content?: Content }>
  >;
}

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

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

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const message = (description: string) => ({ description, content: json(ref('ApiResponse')) });
const body = (description: string, schema: JsonSchema, status = 200) => ({
  [status]: { description, content: json(schema) },
});

/** Answers every operation may give. */
const common = {
  401: message(
    'Unauthorized: HTTP basic credentials of a user of `httpd.auth_user_file` are required.',
  ),
};
const internal = {
  500: message('The data provider failed: its error, or `Internal server error`.'),
};
/** Answers of the operations that read a JSON body. */
const bodyErrors = {
  413: message('The request body is larger than 1 MiB.'),
  415: message('The request body has an unsupported charset or content encoding.'),
};

const userId = {
  name: 'userID',
  in: 'path',
  required: true,
  description: 'The id of the user.',
  schema: { type: 'integer', minimum: 0 },
} as const;

const userResponses = {
  badId: message('`Invalid userID`: the id is not a non-negative integer.'),
  notFound: message('`Not found: user with ID N does not exist`.'),
  disabled: message(
    '`Method disabled error: ...`: users are managed elsewhere (`data_provider.manage_users` 0).',
  ),
};

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
    paths: {
      '/version': {
        get: {
          tags: ['version'],
          operationId: 'get_version',
          summary: 'The version of the server',
          responses: {
            ...body('The version.', ref('VersionInfo')),
            ...common,
          },
        },
      },
      '/providerstatus': {
        get: {
          tags: ['providerstatus'],
          operationId: 'get_provider_status',
          summary: 'Whether the data provider answers',
          responses: {
            200: message('`Alive`: the data provider answers.'),
            ...common,
            ...internal,
          },
        },
      },
      '/openapi.json': {
        get: {
          tags: ['openapi'],
          operationId: 'get_openapi',
          summary: 'This document',
          responses: {
            ...body('The OpenAPI document of the API.', { type: 'object' }),
            ...common,
          },
        },
      },
      '/user': {
        get: {
          tags: ['users'],
          operationId: 'get_users',
          summary: 'A page of users, by username',
          parameters: [
            {
              name: 'limit',
              in: 'query',
              required: false,
              description: 'At most this many users; more than 500 is taken as 500.',
              schema: { type: 'integer', default: 100 },
            },
            {
              name: 'offset',
              in: 'query',
              required: false,
              description: 'Skips this many users first.',
              schema: { type: 'integer', minimum: 0, default: 0 },
            },
            {
              name: 'order',
              in: 'query',
              required: false,
              description: 'By username, ascending or descending.',
              schema: { type: 'string', enum: ['ASC', 'DESC'], default: 'ASC' },
            },
            {
              name: 'username',
              in: 'query',
              required: false,
              description: 'Only the user of exactly this username (case-sensitive).',
              schema: { type: 'string' },
            },
          ],
          responses: {
            ...body('The users, without their passwords.', {
              type: 'array',
              items: ref('User'),
            }),
            400: message('`Invalid limit`, `Invalid offset` or `Invalid order`.'),
            ...common,
            ...internal,
          },
        },
        post: {
          tags: ['users'],
          operationId: 'add_user',
          summary: 'Adds a user',
          requestBody: { required: true, content: json(ref('UserInput')) },
          responses: {
            ...body('The user added, with its id.', ref('User')),
            400: message(
              '`Validation error: ...` naming every problem, or a body that is not a JSON object.',
            ),
            403: userResponses.disabled,
            409: message('The username is taken.'),
            ...bodyErrors,
            ...common,
            ...internal,
          },
        },
      },
      '/user/{userID}': {
        get: {
          tags: ['users'],
          operationId: 'get_user_by_id',
          summary: 'A user',
          parameters: [userId],
          responses: {
            ...body('The user, without its password.', ref('User')),
            400: userResponses.badId,
            404: userResponses.notFound,
            ...common,
            ...internal,
          },
        },
        put: {
          tags: ['users'],
          operationId: 'update_user',
          summary: 'Updates a user',
          description:
            'The body is applied over the stored user: omitted fields keep their values (the password among them), inside `filters`, `filesystem` and its `s3config` and `gcsconfig` too, and `permissions` are replaced only when the body has some. A `filesystem` whose `provider` is not the stored one brings its own config. An S3 `access_secret` sent as returned, or empty with an `access_key`, keeps the stored secret; a GCS key (`credentials`) left out keeps the stored key.',
          parameters: [userId],
          requestBody: { required: true, content: json(ref('UserUpdate')) },
          responses: {
            200: message('`User updated`.'),
            400: message(
              '`Invalid userID`, `Validation error: ...`, a body that is not a JSON object, or a body `id` other than the path one.',
            ),
            403: userResponses.disabled,
            404: userResponses.notFound,
            409: message('The new username is taken.'),
            ...bodyErrors,
            ...common,
            ...internal,
          },
        },
        delete: {
          tags: ['users'],
          operationId: 'delete_user',
          summary: 'Deletes a user',
          parameters: [userId],
          responses: {
            200: message('`User deleted`.'),
            400: userResponses.badId,
            403: userResponses.disabled,
            404: message('`Not found: ...`: no user has that id.'),
            ...common,
            ...internal,
          },
        },
      },
      '/connection': {
        get: {
          tags: ['connections'],
          operationId: 'get_connections',
          summary: 'The live SSH connections',
          responses: {
            ...body('The connections.', { type: 'array', items: ref('ConnectionStatus') }),
            ...common,
          },
        },
      },
      '/connection/{connectionID}': {
        delete: {
          tags: ['connections'],
          operationId: 'close_connection',
          summary: 'Closes a connection',
          parameters: [
            {
              name: 'connectionID',
              in: 'path',
              required: true,
              description: 'The `connection_id` of a listed connection.',
              schema: { type: 'string', minLength: 1 },
            },
          ],
          responses: {
            200: message('`Connection closed`.'),
            404: message('`Not Found`: no connection has that id.'),
            ...common,
          },
        },
      },
      '/quota_scan': {
        get: {
          tags: ['quota'],
          operationId: 'get_quota_scans',
          summary: 'The quota scans under way',
          responses: {
            ...body('The scans.', { type: 'array', items: ref('QuotaScan') }),
            ...common,
          },
        },
        post: {
          tags: ['quota'],
          operationId: 'start_quota_scan',
          summary: "Starts a scan of a user's home dir",
          description:
            'Counts the regular files under the home dir of the user and their bytes (links are not followed; a missing home dir holds nothing), in the background, and stores them as the used quota of the user.',
          requestBody: { required: true, content: json(ref('QuotaScanRequest')) },
          responses: {
            201: message(
              '`Scan started`; with `data_provider.track_quota` 0, as the reference server answers, although nothing is scanned.',
            ),
            400: message('The body is not a JSON object, or its username is not a string.'),
            404: message(
              "`Not found: ...`: no user has that username; a missing or empty username is no user's.",
            ),
            409: message('`Another scan is already in progress` for that user.'),
            ...bodyErrors,
            ...common,
            ...internal,
          },
        },
      },
      '/dumpdata': {
        get: {
          tags: ['maintenance'],
          operationId: 'dumpdata',
          summary: 'Saves every user to a backup file',
          description:
            'Writes `{"users": [...]}`, every user with its password hash, to a file of `httpd.backups_path` (created, mode 0700, when missing), with mode 0600, replacing the file of that name.',
          parameters: [
            {
              name: 'output_file',
              in: 'query',
              required: true,
              description:
                'A path relative to the backups directory, not absolute, without a `..` part; its missing directories are created with mode 0700. A link that leads outside the backups directory is refused.',
              schema: { type: 'string', minLength: 1 },
            },
            {
              name: 'indent',
              in: 'query',
              required: false,
              description: '1 writes indented JSON; any other value does not.',
              schema: { type: 'string', default: '0' },
            },
          ],
          responses: {
            200: message('`Data saved`.'),
            400: message(
              '`output_file` missing, absolute, with a `..` part, led outside the backups directory by a link, or a directory.',
            ),
            403: message(
              '`Forbidden: a request sent from another site`: a browser marked it so (`Sec-Fetch-Site`).',
            ),
            ...common,
            ...internal,
          },
        },
      },
      '/loaddata': {
        get: {
          tags: ['maintenance'],
          operationId: 'loaddata',
          summary: 'Restores users from a backup file',
          description: `Reads a file of \`httpd.backups_path\` (at most ${MAX_RESTORE_SIZE} bytes) as written by \`/dumpdata\` and stores its users. Used quota and last login are not restored. It stops at the first user that cannot be stored: the users before it stay stored.`,
          parameters: [
            {
              name: 'input_file',
              in: 'query',
              required: true,
              description:
                'A path relative to the backups directory (`backups_path`), or an absolute path that leads inside it, links followed.',
              schema: { type: 'string', minLength: 1 },
            },
            {
              name: 'scan_quota',
              in: 'query',
              required: false,
              description:
                'Quota scans to start once loaded: 1 for every user loaded, 2 for the users loaded that have a quota, any other integer none. None with `track_quota` 0.',
              schema: { type: 'integer', default: 0 },
            },
            {
              name: 'mode',
              in: 'query',
              required: false,
              description:
                '1 adds new users only; any other integer adds new users and updates existing ones. No mode deletes users.',
              schema: { type: 'integer', default: 0 },
            },
            {
              name: 'replace',
              in: 'query',
              required: false,
              description:
                'Not in the reference server: 1 or true also deletes, once the file is stored, the users it does not have.',
              schema: { type: 'string', enum: ['0', '1', 'false', 'true'], default: '0' },
            },
          ],
          responses: {
            200: message('`Data restored`.'),
            400: message(
              '`input_file` missing, not a file of the backups directory, not found or not a regular file; message `Unable to restore input file: ...` (too large) or `Unable to parse input file: ...` (the parser\'s words in `error`); `Validation error: users.N ("name"): ...`; a `scan_quota` or `mode` that is not an integer; a bad `replace`.',
            ),
            403: message(
              '`Method disabled error: ...`: users are managed elsewhere (`data_provider.manage_users` 0); or `Forbidden: a request sent from another site`: a browser marked it so (`Sec-Fetch-Site`).',
            ),
            409: message('A username was taken meanwhile.'),
            ...common,
            ...internal,
          },
        },
      },
    },
    components: {
      schemas: {
        ApiResponse: jsonSchema(ApiResponseSchema, 'output'),
        VersionInfo: jsonSchema(VersionInfoSchema, 'output'),
        User: jsonSchema(PublicUserSchema, 'output'),
        UserInput: userInputSchema(),
        UserUpdate: {
          ...userInputSchema(),
          required: [],
          description:
            'The fields to change; the others keep their stored values. `id`, if given, must be that of the path.',
        },
        ConnectionStatus: jsonSchema(ConnectionStatusSchema, 'output'),
        QuotaScan: jsonSchema(QuotaScanSchema, 'output'),
        QuotaScanRequest: jsonSchema(QuotaScanRequestSchema, 'input'),
      },
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
 * The OpenAPI 3.0 document of the v1 API, generated from the schemas of its
 * bodies: 3.0 as the reference server's, which the generators it names
 * (swagger-codegen, OpenAPI Generator) all read.
 */
export function openApiDocument(): OpenApiDocument {
  document ??= buildDocument();
  return document;
}
