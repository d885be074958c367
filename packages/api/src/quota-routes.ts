import type { DataProvider } from '@sftpgo/provider';
import { z } from 'zod';
import { HttpError, sendApiResponse } from './api-response.js';
import { fromProvider, PROVIDER_FAILURE } from './provider-errors.js';
import type { QuotaScans } from './quota-scans.js';
import { type Route, route } from './route.js';
import { QuotaScanRequestSchema, QuotaScanSchema } from './schemas.js';

interface QuotaRouteDeps {
  readonly provider: DataProvider;
  readonly scans: QuotaScans;
  /** False for `track_quota` 0. */
  readonly quotaTracking: boolean;
}

/** `/quota_scan` routes of the v1 API. */
export const quotaRoutes: readonly Route<QuotaRouteDeps>[] = [
  route(
    {
      method: 'get',
      path: '/quota_scan',
      tag: 'quota',
      operationId: 'get_quota_scans',
      summary: 'The quota scans under way',
      responses: { 200: { description: 'The scans.', schema: z.array(QuotaScanSchema) } },
    },
    ({ scans }, { res }) => {
      res.status(200).json(scans.list());
    },
  ),

  route(
    {
      method: 'post',
      path: '/quota_scan',
      tag: 'quota',
      operationId: 'start_quota_scan',
      summary: "Starts a scan of a user's home dir",
      description:
        'Counts the regular files under the home dir of the user and their bytes (links are not followed; a missing home dir holds nothing), in the background, and stores them as the used quota of the user.',
      body: QuotaScanRequestSchema,
      responses: {
        201: '`Scan started`; with `data_provider.track_quota` 0, as the reference server answers, although nothing is scanned.',
        400: 'The body is not a JSON object, or its username is not a string.',
        404: "`Not found: ...`: no user has that username; a missing or empty username is no user's.",
        409: '`Another scan is already in progress` for that user.',
        500: PROVIDER_FAILURE,
      },
    },
    async ({ provider, scans, quotaTracking }, { req, res }) => {
      const body: unknown = req.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new HttpError(400, 'the request body must be a JSON object');
      }
      // as the reference server: a missing username is the empty one, which no user has
      const username = (body as { username?: unknown }).username ?? '';
      if (typeof username !== 'string') {
        throw new HttpError(400, 'the username of the request body must be a string');
      }
      const user = await fromProvider(provider.getUserByUsername(username));
      if (!user) {
        throw new HttpError(404, `Not found: user ${JSON.stringify(username)} does not exist`);
      }
      // as the reference server, whose scan then fails to store anything: README
      // "REST API to scan user dir and update quota will do nothing"
      if (!quotaTracking) {
        sendApiResponse(res, 201, 'Scan started');
        return;
      }
      if (!scans.start(user)) {
        sendApiResponse(res, 409, 'Another scan is already in progress');
        return;
      }
      sendApiResponse(res, 201, 'Scan started');
    },
  ),
];
