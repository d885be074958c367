import type { DataProvider, User } from '@sftpgo/provider';
import type { Fs } from '@sftpgo/vfs';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { accessLog, type HttpAccess } from './access-log.js';
import { HttpError, sendApiResponse } from './api-response.js';
import { backupRoutes } from './backup-routes.js';
import { basicAuth, type Htpasswd } from './basic-auth.js';
import { type ConnectionRegistry, connectionRoutes } from './connection-routes.js';
import { coreRoutes, type VersionInfo } from './core-routes.js';
import { openApiDocument } from './openapi.js';
import { quotaRoutes } from './quota-routes.js';
import { QuotaScans } from './quota-scans.js';
import { mountRoutes } from './route.js';
import { userRoutes } from './user-routes.js';
import { webBasicAuth } from './web/web-auth.js';
import { mountWebAdmin, type WebOptions } from './web/web-routes.js';

export interface ApiOptions {
  readonly provider: DataProvider;
  readonly version: VersionInfo;
  /** The live connections; without it, the connection routes answer 404. */
  readonly connections?: ConnectionRegistry;
  /**
   * Called with errors answered with 500, whose details the client is not
   * shown, and with the failures of quota scans, which run in the background.
   */
  readonly onInternalError?: (err: unknown) => void;
  /** Called once per request, when its answer is sent: the access log. */
  readonly onAccess?: (access: HttpAccess) => void;
  /** When given, every API request must authenticate as one of its users (HTTP basic). */
  readonly htpasswd?: Htpasswd;
  /**
   * The directory of `dumpdata` and `loaddata` files (`httpd.backups_path`,
   * created with mode 0700 when missing); without it, these routes answer 404.
   */
  readonly backupsPath?: string;
  /**
   * False for `data_provider.track_quota` 0: `POST /quota_scan` answers as
   * if it started a scan, and neither it nor `loaddata` starts one. True by
   * default.
   */
  readonly quotaTracking?: boolean;
  /**
   * Opens the storage of a user on S3 or Google Cloud Storage for a quota
   * scan, as the SSH service opens it; without it, such users' scans fail.
   */
  readonly openStorage?: (user: User) => Promise<Fs>;
  /** When given, `GET /metrics` answers what it renders (behind `htpasswd` too), e.g. Prometheus text. */
  readonly metrics?: { readonly contentType: string; render(): Promise<string> };
  /**
   * When given, the web admin: `/web/*` pages (behind `htpasswd` too),
   * `/static/*` files, `/` redirected to `/web/users`. Its templates and
   * static files are the package's own, each replaced by the operator's file
   * of the same name in the directories given.
   */
  readonly web?: WebOptions;
}

/** The reference server's request body limit. */
const MAX_REQUEST_SIZE = '1mb';

/**
 * The REST API as an express application, to mount or to listen on.
 *
 * @example
 * createApi({ provider, version }).listen(8080, '127.0.0.1');
 */
export function createApi(options: ApiOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  if (options.onAccess) app.use(accessLog(options.onAccess));

  const v1 = express.Router();
  // whatever the Content-Type, as the reference server decodes bodies:
  // `curl -d '{...}'` sends application/x-www-form-urlencoded
  v1.use(express.json({ limit: MAX_REQUEST_SIZE, type: () => true }));
  const { provider } = options;
  mountRoutes(v1, coreRoutes, { provider, version: options.version, openApiDocument });
  mountRoutes(v1, userRoutes, { provider });
  const quotaTracking = options.quotaTracking ?? true;
  const scans = new QuotaScans(provider, {
    onError: options.onInternalError,
    ...(options.openStorage ? { openStorage: options.openStorage } : {}),
  });
  mountRoutes(v1, quotaRoutes, { provider, scans, quotaTracking });
  const { backupsPath, connections } = options;
  if (backupsPath) mountRoutes(v1, backupRoutes, { provider, scans, backupsPath, quotaTracking });
  if (connections) mountRoutes(v1, connectionRoutes, { connections });
  if (options.htpasswd) app.use('/api/v1', basicAuth(options.htpasswd));
  app.use('/api/v1', v1);
  const { metrics } = options;
  if (metrics) {
    // as the reference server: the JSON body is the API's, /metrics gets plain text as the pages do
    const auth = options.htpasswd ? [webBasicAuth(options.htpasswd)] : [];
    app.get('/metrics', ...auth, async (_req: Request, res: Response) => {
      const body = await metrics.render();
      res.type(metrics.contentType).send(body);
    });
  }

  if (options.web) {
    mountWebAdmin(app, {
      provider: options.provider,
      connections: options.connections,
      version: options.version,
      htpasswd: options.htpasswd,
      web: options.web,
      onInternalError: options.onInternalError,
    });
  }

  app.use((_req: Request, res: Response) => sendApiResponse(res, 404, 'Not Found'));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) {
      sendApiResponse(res, err.status, err.publicMessage, err.message);
      return;
    }
    const status = (err as { status?: number; type?: string }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // body-parser: malformed JSON, body too large, bad encoding
      sendApiResponse(res, status, '', `Invalid request body: ${(err as Error).message}`);
      return;
    }
    options.onInternalError?.(err);
    sendApiResponse(res, 500, '', 'Internal server error');
  });
  return app;
}
