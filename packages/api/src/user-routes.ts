import { type DataProvider, ProviderError, toPublicUser, ValidationError } from '@sftpgo/provider';
import { type Request, type Response, Router } from 'express';
import { HttpError } from './api-response.js';

function parseUserId(raw: string | undefined): number {
  if (!raw || !/^\d{1,15}$/.test(raw)) throw new HttpError(400, 'Invalid userID');
  return Number(raw);
}

/** Maps a provider error to the status the reference API answers with. */
export function providerHttpError(err: unknown): unknown {
  if (err instanceof ValidationError) {
    return new HttpError(400, `Validation error: ${err.message}`, '', { cause: err });
  }
  if (err instanceof ProviderError && err.code === 'conflict') {
    return new HttpError(409, err.message, '', { cause: err });
  }
  return err;
}

/** `/user` routes of the v1 API. */
export function userRoutes(provider: DataProvider): Router {
  const router = Router();

  router.post('/user', async (req: Request, res: Response) => {
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
      throw new HttpError(400, 'the request body must be a JSON object');
    }
    try {
      res.status(200).json(toPublicUser(await provider.addUser(req.body)));
    } catch (err) {
      throw providerHttpError(err);
    }
  });

  router.get('/user/:userId', async (req: Request<{ userId: string }>, res: Response) => {
    const id = parseUserId(req.params.userId);
    const user = await provider.getUserById(id);
    if (!user) throw new HttpError(404, `Not found: user with ID ${id} does not exist`);
    res.status(200).json(toPublicUser(user));
  });

  return router;
}
