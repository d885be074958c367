import {
  type DataProvider,
  toPublicUser,
  type User,
  type UserInput,
  UserInputSchema,
} from '@sftpgo/provider';
import { z } from 'zod';
import { HttpError, sendApiResponse } from './api-response.js';
import { fromProvider, PROVIDER_FAILURE } from './provider-errors.js';
import { type Route, route } from './route.js';
import { PublicUserSchema, UserUpdateSchema } from './schemas.js';
import { isJsonObject, userJsonWithoutNulls } from './user-json.js';

/** The reference server's most users in one page. */
const MAX_LIST_LIMIT = 500;

function parseUserId(raw: string | undefined): number {
  if (!raw || !/^\d{1,15}$/.test(raw)) throw new HttpError(400, 'Invalid userID');
  return Number(raw);
}

function queryInteger(value: string | undefined, fallback: number, error: string): number {
  if (value === undefined) return fallback;
  if (!/^-?\d{1,15}$/.test(value)) throw new HttpError(400, error);
  return Number(value);
}

/** The user JSON of a request body, its nulls read as the reference server reads them. */
function userBody(body: unknown): Record<string, unknown> {
  if (!isJsonObject(body)) throw new HttpError(400, 'the request body must be a JSON object');
  return userJsonWithoutNulls(body);
}

/**
 * The filesystem of an update, the body's over the stored one as the
 * reference server decodes it: the configs field by field (an S3 secret left
 * out is kept). A body that changes the provider brings its own configs.
 */
function mergeFilesystem(stored: User['filesystem'], body: Record<string, unknown>): unknown {
  const provider = body.provider ?? stored.provider;
  if (provider !== stored.provider) return body;
  const merged: Record<string, unknown> = { ...stored, ...body };
  if (stored.provider === 1 && isJsonObject(body.s3config)) {
    merged.s3config = { ...stored.s3config, ...body.s3config };
  }
  if (stored.provider === 2 && isJsonObject(body.gcsconfig)) {
    merged.gcsconfig = { ...stored.gcsconfig, ...body.gcsconfig };
  }
  return merged;
}

/**
 * An update as the reference server applies it, the body decoded over the
 * stored user: fields the body leaves out keep their values (the password
 * hash among them), in `filters` and `filesystem` too; permissions are
 * replaced when the body has some.
 */
function mergeUpdate(stored: User, body: Record<string, unknown>): UserInput {
  const { id: _id, ...fields } = stored;
  const merged: Record<string, unknown> = { ...fields, ...body };
  delete merged.id;
  if (isJsonObject(body.filters)) merged.filters = { ...stored.filters, ...body.filters };
  if (isJsonObject(body.filesystem)) {
    merged.filesystem = mergeFilesystem(stored.filesystem, body.filesystem);
  }
  const bodyPermissions = body.permissions;
  if (!isJsonObject(bodyPermissions) || Object.keys(bodyPermissions).length === 0) {
    merged.permissions = stored.permissions;
  }
  return merged as UserInput;
}

const userId = {
  userID: z.number().int().min(0).describe('The id of the user.'),
};

const BAD_ID = '`Invalid userID`: the id is not a non-negative integer.';
const NOT_FOUND = '`Not found: user with ID N does not exist`.';
const DISABLED =
  '`Method disabled error: ...`: users are managed elsewhere (`data_provider.manage_users` 0).';

interface UserRouteDeps {
  readonly provider: DataProvider;
}

/** `/user` routes of the v1 API. */
export const userRoutes: readonly Route<UserRouteDeps>[] = [
  route(
    {
      method: 'get',
      path: '/user',
      tag: 'users',
      operationId: 'get_users',
      summary: 'A page of users, by username',
      query: {
        limit: z
          .number()
          .int()
          .default(100)
          .describe(
            `At most this many users; more than ${MAX_LIST_LIMIT} is taken as ${MAX_LIST_LIMIT}.`,
          ),
        offset: z.number().int().min(0).default(0).describe('Skips this many users first.'),
        order: z
          .enum(['ASC', 'DESC'])
          .default('ASC')
          .describe('By username, ascending or descending.'),
        username: z
          .string()
          .optional()
          .describe('Only the user of exactly this username (case-sensitive).'),
      },
      responses: {
        200: {
          description: 'The users, without their passwords.',
          schema: z.array(PublicUserSchema),
        },
        400: '`Invalid limit`, `Invalid offset` or `Invalid order`.',
        500: PROVIDER_FAILURE,
      },
    },
    async ({ provider }, { query, res }) => {
      const limit = Math.min(queryInteger(query('limit'), 100, 'Invalid limit'), MAX_LIST_LIMIT);
      const offset = queryInteger(query('offset'), 0, 'Invalid offset');
      if (offset < 0) throw new HttpError(400, 'Invalid offset');
      const order = query('order') ?? 'ASC';
      if (order !== 'ASC' && order !== 'DESC') throw new HttpError(400, 'Invalid order');
      const username = query('username');
      const users = await fromProvider(
        provider.listUsers({ limit: Math.max(limit, 0), offset, order, username }),
      );
      res.status(200).json(users.map(toPublicUser));
    },
  ),

  route(
    {
      method: 'post',
      path: '/user',
      tag: 'users',
      operationId: 'add_user',
      summary: 'Adds a user',
      body: UserInputSchema,
      responses: {
        200: { description: 'The user added, with its id.', schema: PublicUserSchema },
        400: '`Validation error: ...` naming every problem, or a body that is not a JSON object.',
        403: DISABLED,
        409: 'The username is taken.',
        500: PROVIDER_FAILURE,
      },
    },
    async ({ provider }, { req, res }) => {
      const body = userBody(req.body);
      // as the reference server's Go decoder: a user sent without status is disabled
      const user = await fromProvider(provider.addUser({ status: 0, ...body } as UserInput));
      res.status(200).json(toPublicUser(user));
    },
  ),

  route(
    {
      method: 'get',
      path: '/user/{userID}',
      tag: 'users',
      operationId: 'get_user_by_id',
      summary: 'A user',
      params: userId,
      responses: {
        200: { description: 'The user, without its password.', schema: PublicUserSchema },
        400: BAD_ID,
        404: NOT_FOUND,
        500: PROVIDER_FAILURE,
      },
    },
    async ({ provider }, { param, res }) => {
      const id = parseUserId(param('userID'));
      const user = await fromProvider(provider.getUserById(id));
      if (!user) throw new HttpError(404, `Not found: user with ID ${id} does not exist`);
      res.status(200).json(toPublicUser(user));
    },
  ),

  route(
    {
      method: 'put',
      path: '/user/{userID}',
      tag: 'users',
      operationId: 'update_user',
      summary: 'Updates a user',
      description:
        'The body is applied over the stored user: omitted fields keep their values (the password among them), inside `filters`, `filesystem` and its `s3config` and `gcsconfig` too, and `permissions` are replaced only when the body has some. A `filesystem` whose `provider` is not the stored one brings its own config. An S3 `access_secret` sent as returned, or empty with an `access_key`, keeps the stored secret; a GCS key (`credentials`) left out keeps the stored key.',
      params: userId,
      body: UserUpdateSchema,
      responses: {
        200: '`User updated`.',
        400: '`Invalid userID`, `Validation error: ...`, a body that is not a JSON object, or a body `id` other than the path one.',
        403: DISABLED,
        404: NOT_FOUND,
        409: 'The new username is taken.',
        500: PROVIDER_FAILURE,
      },
    },
    async ({ provider }, { param, req, res }) => {
      const id = parseUserId(param('userID'));
      const body = userBody(req.body);
      if (body.id !== undefined && body.id !== id) {
        throw new HttpError(
          400,
          '',
          'user ID in request body does not match user ID in path parameter',
        );
      }
      const stored = await fromProvider(provider.getUserById(id));
      if (!stored) throw new HttpError(404, `Not found: user with ID ${id} does not exist`);
      await fromProvider(provider.updateUser(id, mergeUpdate(stored, body)));
      sendApiResponse(res, 200, 'User updated');
    },
  ),

  route(
    {
      method: 'delete',
      path: '/user/{userID}',
      tag: 'users',
      operationId: 'delete_user',
      summary: 'Deletes a user',
      params: userId,
      responses: {
        200: '`User deleted`.',
        400: BAD_ID,
        403: DISABLED,
        404: '`Not found: ...`: no user has that id.',
        500: PROVIDER_FAILURE,
      },
    },
    async ({ provider }, { param, res }) => {
      const id = parseUserId(param('userID'));
      await fromProvider(provider.deleteUser(id));
      sendApiResponse(res, 200, 'User deleted');
    },
  ),
];
