import type { DataProvider } from '@sftpgo/provider';
import express, {
  type Express,
  type NextFunction,
  type Request,
  type Response,
  Router,
} from 'express';
import type { Htpasswd } from '../basic-auth.js';
import type { ConnectionRegistry } from '../connection-routes.js';
import { connectionPages } from './connection-pages.js';
import { CSRF_FIELD, Csrf, type CsrfRefusal, readCookies } from './csrf.js';
import { defaultWebDirs, type TemplateName, Templates } from './templates.js';
import { userPages } from './user-pages.js';
import { webBasicAuth } from './web-auth.js';
import { PageError, type WebPages } from './web-pages.js';

/** Where an operator's templates and static files are; each file missing there is the package's own. */
export interface WebOptions {
  readonly templatesPath?: string;
  readonly staticFilesPath?: string;
}

export interface WebAdminOptions {
  readonly provider: DataProvider;
  readonly connections?: ConnectionRegistry;
  readonly version: { readonly version: string };
  readonly htpasswd?: Htpasswd;
  readonly web: WebOptions;
  readonly onInternalError?: (err: unknown) => void;
}

const NOTICE_COOKIE = 'sftpgo_notice';
/** The only origin pages load anything from; forms post only here; no framing. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

const REFUSALS: Record<CsrfRefusal, string> = {
  'cross-origin': 'The form was sent from another site.',
  'missing-token': 'The form has no security token, or the browser sent no session cookie.',
  'bad-token': 'The security token of the form is not valid: the page may be out of date.',
};

/**
 * The web admin: `/web/*` pages (behind the API's basic auth, when it has
 * one), `/static/*` files (never behind it), and `/` redirected to the users.
 */
export function mountWebAdmin(app: Express, options: WebAdminOptions): void {
  const { provider, connections: registry } = options;
  const templates = new Templates(options.web.templatesPath);
  const csrf = new Csrf('/web');
  const defaults = defaultWebDirs();

  const staticOptions = { index: false, redirect: false, fallthrough: true } as const;
  if (options.web.staticFilesPath) {
    app.use('/static', express.static(options.web.staticFilesPath, staticOptions));
  }
  app.use('/static', express.static(defaults.static, staticOptions));
  app.get('/', (_req, res) => res.redirect(301, '/web/users'));

  const router = Router();

  /** Renders a page with what every template receives. */
  function page(
    req: Request,
    res: Response,
    name: TemplateName,
    data: { title: string; nav?: string } & Record<string, unknown>,
    status = 200,
  ): void {
    const notice = readCookies(req).get(NOTICE_COOKIE);
    if (notice !== undefined) res.clearCookie(NOTICE_COOKIE, { path: '/web' });
    const html = templates.render(name, {
      nav: '',
      notice: notice ?? '',
      csrfField: CSRF_FIELD,
      csrfToken: csrf.token(req, res),
      version: options.version,
      ...data,
    });
    res.status(status).type('html').send(html);
  }

  /** Redirects after a change, with a message for the next page. */
  function done(res: Response, to: string, notice: string): void {
    res.cookie(NOTICE_COOKIE, notice, { httpOnly: true, sameSite: 'strict', path: '/web' });
    res.redirect(303, to);
  }

  router.use((_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });
  router.use(express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 1000 }));
  router.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      next();
      return;
    }
    const refusal = csrf.check(req);
    if (!refusal) {
      next();
      return;
    }
    page(
      req,
      res,
      'message',
      {
        title: 'Request refused',
        heading: 'Request refused',
        message: `${REFUSALS[refusal]} Nothing was changed. Go back, reload the page and try again.`,
        links: [{ href: '/web/users', text: 'Users' }],
      },
      403,
    );
  });

  router.get('/', (_req, res) => res.redirect(301, '/web/users'));

  const pages: WebPages = { page, done };
  userPages(router, pages, provider);
  connectionPages(router, pages, registry);

  // Not found, errors

  router.use((req, res) => {
    page(
      req,
      res,
      'message',
      { title: 'Not found', heading: 'Not found', message: 'There is no such page.' },
      404,
    );
  });

  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let status = 500;
    let message = 'Something went wrong on the server; the details are in its log.';
    if (err instanceof PageError) {
      status = err.status;
      message = err.message;
    } else {
      const s = (err as { status?: number }).status;
      if (typeof s === 'number' && s >= 400 && s < 500) {
        // body-parser: a body too large, a bad encoding
        status = s;
        message = `The request could not be read: ${(err as Error).message}.`;
      } else {
        options.onInternalError?.(err);
      }
    }
    const heading = status === 404 ? 'Not found' : status < 500 ? 'Request refused' : 'Error';
    try {
      page(req, res, 'message', { title: heading, heading, message }, status);
    } catch (renderErr) {
      // the message template itself fails
      if (status === 500 && renderErr !== err) options.onInternalError?.(renderErr);
      res.status(status).type('text/plain; charset=utf-8').send(message);
    }
  });

  if (options.htpasswd) app.use('/web', webBasicAuth(options.htpasswd));
  app.use('/web', router);
}
