import {
  type DataProvider,
  ProviderError,
  toPublicUser,
  type User,
  type UserInput,
  ValidationError,
} from '@sftpgo/provider';
import { type Request, type Response, Router } from 'express';
import { HttpError, methodNotAllowed, sendApiResponse } from './api-response.js';
import { queryParam } from './query-params.js';
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

/** Maps a provider error to the status the reference API answers with. */
export function providerHttpError(err: unknown): unknown {
  if (err instanceof ValidationError) {
    return new HttpError(400, `Validation error: ${err.message}`, '', { cause: err });
  }
  if (!(err instanceof ProviderError)) return err;
  switch (err.code) {
    case 'conflict':
      return new HttpError(409, err.message, '', { cause: err });
    case 'not-found':
      return new HttpError(404, `Not found: ${err.message}`, '', { cause: err });
    case 'disabled':
      return new HttpError(403, `Method disabled error: ${err.message}`, '', { cause: err });
    default:
      // the database's own words, for the administrator
      return new HttpError(500, err.message, '', { cause: err });
  }
}

async function answer<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw providerHttpError(err);
  }
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

/** `/user` routes of the v1 API. */
export function userRoutes(provider: DataProvider): Router {
  const router = Router();

  router.get('/user', async (req: Request, res: Response) => {
    const limit = Math.min(
      queryInteger(queryParam(req, 'limit'), 100, 'Invalid limit'),
      MAX_LIST_LIMIT,
    );
    const offset = queryInteger(queryParam(req, 'offset'), 0, 'Invalid offset');
    if (offset < 0) throw new HttpError(400, 'Invalid offset');
    const order = queryParam(req, 'order') ?? 'ASC';
    if (order !== 'ASC' && order !== 'DESC') throw new HttpError(400, 'Invalid order');
    const username = queryParam(req, 'username');
    const users = await answer(
      provider.listUsers({ limit: Math.max(limit, 0), offset, order, username }),
    );
    res.status(200).json(users.map(toPublicUser));
  });

  router.post('/user', async (req: Request, res: Response) => {
    const body = userBody(req.body);
    // as the reference server's Go decoder: a user sent without status is disabled
    const user = await answer(provider.addUser({ status: 0, ...body } as UserInput));
    res.status(200).json(toPublicUser(user));
  });

  router.get('/user/:userId', async (req: Request<{ userId: string }>, res: Response) => {
    const id = parseUserId(req.params.userId);
    const user = await answer(provider.getUserById(id));
    if (!user) throw new HttpError(404, `Not found: user with ID ${id} does not exist`);
    res.status(200).json(toPublicUser(user));
  });

  router.put('/user/:userId', async (req: Request<{ userId: string }>, res: Response) => {
    const id = parseUserId(req.params.userId);
    const body = userBody(req.body);
    if (body.id !== undefined && body.id !== id) {
      throw new HttpError(
        400,
        '',
        'user ID in request body does not match user ID in path parameter',
      );
    }
    const stored = await answer(provider.getUserById(id));
    if (!stored) throw new HttpError(404, `Not found: user with ID ${id} does not exist`);
    await answer(provider.updateUser(id, mergeUpdate(stored, body)));
    sendApiResponse(res, 200, 'User updated');
  });

  router.delete('/user/:userId', async (req: Request<{ userId: string }>, res: Response) => {
    const id = parseUserId(req.params.userId);
    await answer(provider.deleteUser(id));
    sendApiResponse(res, 200, 'User deleted');
  });

  router.all(['/user', '/user/:userId'], methodNotAllowed);

  return router;
}
