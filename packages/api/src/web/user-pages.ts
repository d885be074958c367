import {
  type DataProvider,
  PERMISSIONS,
  ProviderError,
  parseUserInput,
  toPublicUser,
  type User,
  ValidationError,
} from '@sftpgo/provider';
import type { Request, Response, Router } from 'express';
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
import { PageError, queryText, type WebPages } from './web-pages.js';

/** Users shown on one page of the list. */
export const USERS_PAGE_SIZE = 25;
/** Users read at once while searching. */
const SCAN_BATCH = 500;

function parseId(raw: string | undefined): number {
  if (!raw || !/^\d{1,15}$/.test(raw)) throw new PageError(404, 'No such user.');
  return Number(raw);
}

/** The users' pages: the list with its search, and the forms that add, edit and delete. */
export function userPages(router: Router, { page, done }: WebPages, provider: DataProvider): void {
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
}
