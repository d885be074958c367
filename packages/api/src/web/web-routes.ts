import {
  type DataProvider,
  PERMISSIONS,
  ProviderError,
  parseUserInput,
  toPublicUser,
  type User,
  ValidationError,
} from '@sftpgo/provider';
import express, {
  type Express,
  type NextFunction,
  type Request,
  type Response,
  Router,
} from 'express';
import type { Htpasswd } from '../basic-auth.js';
import type { ConnectionRegistry } from '../connection-routes.js';
import { CSRF_FIELD, Csrf, type CsrfRefusal, readCookies } from './csrf.js';
import { defaultWebDirs, type TemplateName, Templates } from './templates.js';
import {
  emptyFormValues,
  type FieldErrors,
  fileProblems,
  formValuesOf,
  hasErrors,
  permissionSummary,
  readUserForm,
  type SubmittedForm,
  type UserFormValues,
} from './user-form.js';
import { webBasicAuth } from './web-auth.js';

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

/** A live connection as the registry lists it (the API's ConnectionStatus). */
interface ConnectionView {
  readonly username?: string;
  readonly connection_id?: string;
  readonly active_transfers?: readonly unknown[];
}

/** Users shown on one page of the list. */
export const USERS_PAGE_SIZE = 25;
/** Users read at once while searching. */
const SCAN_BATCH = 500;
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

class PageError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function parseId(raw: string | undefined): number {
  if (!raw || !/^\d{1,15}$/.test(raw)) throw new PageError(404, 'No such user.');
  return Number(raw);
}

function queryText(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

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

  // Users

  async function findUsers(search: string, pageNumber: number) {
    const start = (pageNumber - 1) * USERS_PAGE_SIZE;
    if (search === '') {
      const list = await provider.listUsers({ limit: USERS_PAGE_SIZE + 1, offset: start });
      return { users: list.slice(0, USERS_PAGE_SIZE), hasNext: list.length > USERS_PAGE_SIZE };
    }
    // the providers match usernames exactly: a search reads them all, by batch
    const needle = search.toLowerCase();
    const matches: User[] = [];
    for (let offset = 0; ; offset += SCAN_BATCH) {
      const batch = await provider.listUsers({ limit: SCAN_BATCH, offset });
      matches.push(...batch.filter((u) => u.username.toLowerCase().includes(needle)));
      if (batch.length < SCAN_BATCH || matches.length > start + USERS_PAGE_SIZE) break;
    }
    return {
      users: matches.slice(start, start + USERS_PAGE_SIZE),
      hasNext: matches.length > start + USERS_PAGE_SIZE,
    };
  }

  router.get('/users', async (req, res) => {
    const search = queryText(req.query.search).trim();
    const rawPage = queryText(req.query.page);
    const pageNumber = /^\d{1,6}$/.test(rawPage) && Number(rawPage) > 0 ? Number(rawPage) : 1;
    const { users, hasNext } = await findUsers(search, pageNumber);
    const pageUrl = (n: number) => {
      const query = new URLSearchParams();
      if (search) query.set('search', search);
      if (n > 1) query.set('page', String(n));
      const q = query.toString();
      return q ? `/web/users?${q}` : '/web/users';
    };
    const now = Date.now();
    page(req, res, 'users', {
      title: 'Users',
      nav: 'users',
      search,
      page: pageNumber,
      pageSize: USERS_PAGE_SIZE,
      prevUrl: pageNumber > 1 ? pageUrl(pageNumber - 1) : '',
      nextUrl: hasNext ? pageUrl(pageNumber + 1) : '',
      users: users.map((u) => ({
        ...toPublicUser(u),
        permissions_text: permissionSummary(u.permissions),
        expired: u.expiration_date > 0 && u.expiration_date < now,
      })),
    });
  });

  function userForm(
    req: Request,
    res: Response,
    form: {
      values: UserFormValues;
      errors?: FieldErrors;
      passwordGiven?: boolean;
      secretsGiven?: boolean;
      user?: User;
    },
    status = 200,
  ): void {
    const { user } = form;
    page(
      req,
      res,
      'user',
      {
        title: user ? `Edit user ${user.username}` : 'Add user',
        nav: 'users',
        mode: user ? 'edit' : 'add',
        action: user ? `/web/user/${user.id}` : '/web/user',
        user: user ? toPublicUser(user) : undefined,
        values: form.values,
        errors: form.errors ?? {},
        passwordGiven: form.passwordGiven ?? false,
        secretsGiven: form.secretsGiven ?? false,
        permissions: PERMISSIONS,
      },
      status,
    );
  }

  /** The errors of a form the provider refused, with the status to answer; rethrows the others. */
  function refusedForm(err: unknown, form: SubmittedForm): number {
    if (err instanceof ValidationError) {
      fileProblems(err.problems, form.input, form.errors);
      return 400;
    }
    if (err instanceof ProviderError && err.code === 'conflict') {
      form.errors.username = [...(form.errors.username ?? []), err.message];
      return 409;
    }
    if (err instanceof ProviderError && err.code === 'disabled') {
      form.errors._form = [...(form.errors._form ?? []), err.message];
      return 403;
    }
    throw err;
  }

  /** Adds the schema's own problems to those the form already has, without storing anything. */
  function checkAll(form: SubmittedForm): void {
    // an empty home dir may be filled from users_base_dir by the provider
    const probe = { ...form.input, home_dir: form.input.home_dir || '/' };
    const parsed = parseUserInput(probe);
    if (!parsed.ok) fileProblems(parsed.problems, form.input, form.errors);
  }

  router.get('/user', (req, res) => {
    userForm(req, res, { values: emptyFormValues() });
  });

  router.post('/user', async (req, res) => {
    const form = readUserForm((req.body ?? {}) as Record<string, unknown>);
    if (hasErrors(form.errors)) {
      checkAll(form);
      userForm(req, res, form, 400);
      return;
    }
    let user: User;
    try {
      user = await provider.addUser(form.input);
    } catch (err) {
      userForm(req, res, form, refusedForm(err, form));
      return;
    }
    done(res, '/web/users', `User "${user.username}" added.`);
  });

  async function storedUser(rawId: string | undefined): Promise<User> {
    const user = await provider.getUserById(parseId(rawId));
    if (!user) throw new PageError(404, 'No such user: it may have been deleted.');
    return user;
  }

  router.get('/user/:id', async (req: Request<{ id: string }>, res) => {
    const user = await storedUser(req.params.id);
    userForm(req, res, { values: formValuesOf(user), user });
  });

  router.post('/user/:id', async (req: Request<{ id: string }>, res) => {
    const stored = await storedUser(req.params.id);
    const form = readUserForm((req.body ?? {}) as Record<string, unknown>, stored);
    if (hasErrors(form.errors)) {
      checkAll(form);
      userForm(req, res, { ...form, user: stored }, 400);
      return;
    }
    let user: User;
    try {
      user = await provider.updateUser(stored.id, form.input);
    } catch (err) {
      userForm(req, res, { ...form, user: stored }, refusedForm(err, form));
      return;
    }
    done(res, '/web/users', `User "${user.username}" updated.`);
  });

  router.get('/user/:id/delete', async (req: Request<{ id: string }>, res) => {
    const user = await storedUser(req.params.id);
    page(req, res, 'user-delete', {
      title: `Delete user ${user.username}`,
      nav: 'users',
      user: toPublicUser(user),
    });
  });

  router.post('/user/:id/delete', async (req: Request<{ id: string }>, res) => {
    const user = await storedUser(req.params.id);
    try {
      await provider.deleteUser(user.id);
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'not-found') {
        throw new PageError(404, 'No such user: it may have been deleted.');
      }
      if (err instanceof ProviderError && err.code === 'disabled') {
        throw new PageError(403, err.message);
      }
      throw err;
    }
    done(res, '/web/users', `User "${user.username}" deleted.`);
  });

  // Connections

  function liveConnections(): ConnectionView[] {
    return (registry?.listConnections() ?? []) as ConnectionView[];
  }

  router.get('/connections', (req, res) => {
    page(req, res, 'connections', {
      title: 'Connections',
      nav: 'connections',
      available: registry !== undefined,
      connections: liveConnections(),
    });
  });

  router.get('/connection/:id/close', (req: Request<{ id: string }>, res) => {
    const connection = liveConnections().find((c) => c.connection_id === req.params.id);
    if (!connection) {
      done(res, '/web/connections', `Connection ${req.params.id} is already closed.`);
      return;
    }
    page(req, res, 'connection-close', {
      title: 'Close connection',
      nav: 'connections',
      connection,
    });
  });

  router.post('/connection/:id/close', (req: Request<{ id: string }>, res) => {
    const id = req.params.id;
    if (!registry) throw new PageError(404, 'Live connections are not available.');
    const connection = liveConnections().find((c) => c.connection_id === id);
    const who = connection?.username ? ` of "${connection.username}"` : '';
    const closed = registry.closeConnection(id);
    done(
      res,
      '/web/connections',
      closed ? `Connection ${id}${who} closed.` : `Connection ${id} is already closed.`,
    );
  });

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
