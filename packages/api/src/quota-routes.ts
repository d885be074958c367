import type { DataProvider } from '@sftpgo/provider';
import { type Request, type Response, Router } from 'express';
import { HttpError, methodNotAllowed, sendApiResponse } from './api-response.js';
import type { QuotaScans } from './quota-scans.js';
import { providerHttpError } from './user-routes.js';

/** `/quota_scan` routes of the v1 API. */
export function quotaRoutes(
  provider: DataProvider,
  scans: QuotaScans,
  options: { readonly quotaTracking: boolean },
): Router {
  const router = Router();

  router.get('/quota_scan', (_req: Request, res: Response) => {
    res.status(200).json(scans.list());
  });

  router.post('/quota_scan', async (req: Request, res: Response) => {
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(400, 'the request body must be a JSON object');
    }
    // as the reference server: a missing username is the empty one, which no user has
    const username = (body as { username?: unknown }).username ?? '';
    if (typeof username !== 'string') {
      throw new HttpError(400, 'the username of the request body must be a string');
    }
    let user: Awaited<ReturnType<DataProvider['getUserByUsername']>>;
    try {
      user = await provider.getUserByUsername(username);
    } catch (err) {
      throw providerHttpError(err);
    }
    if (!user) {
      throw new HttpError(404, `Not found: user ${JSON.stringify(username)} does not exist`);
    }
    // as the reference server, whose scan then fails to store anything: README
    // "REST API to scan user dir and update quota will do nothing"
    if (!options.quotaTracking) {
      sendApiResponse(res, 201, 'Scan started');
      return;
    }
    if (!scans.start(user)) {
      sendApiResponse(res, 409, 'Another scan is already in progress');
      return;
    }
    sendApiResponse(res, 201, 'Scan started');
  });

  router.all('/quota_scan', methodNotAllowed);

  return router;
}
