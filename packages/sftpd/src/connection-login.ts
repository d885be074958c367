import { ProviderError, type User } from '@sftpgo/provider';
import type ssh2 from 'ssh2';
import type { Authenticator } from './authenticator.js';
import { keyFingerprint } from './host-keys.js';
import type { LiveConnection } from './live-connection.js';
import { KeyNotAuthorizedError, LoginError, SessionLimitError } from './login.js';
import type { LoginRecorder } from './login-recorder.js';
import type { SessionCounter } from './user-sessions.js';

/** The `login_type` of the logs for each method. */
const LOGIN_TYPES = {
  password: 'password',
  publickey: 'public_key',
  'keyboard-interactive': 'keyboard-interactive',
} as const;

/** What the logins of every connection share: the server's settings and services. */
export interface LoginServices {
  readonly auth: Authenticator;
  readonly recorder: LoginRecorder;
  readonly sessions: SessionCounter;
  /** Failed attempts after which a connection is closed. */
  readonly maxAuthTries: number;
  /** How long a connection has to log in. */
  readonly loginGraceMs: number;
  /** Whether the server is closing: the connections it ends did not fail. */
  readonly closing: () => boolean;
}

/**
 * The SSH login of one connection: answers its authentication requests,
 * closes it after too many failed attempts, and drops it when it has not
 * logged in within the grace time, since ssh2 has neither limit.
 */
export class ConnectionLogin {
  readonly #services: LoginServices;
  readonly #connection: LiveConnection;
  readonly #grace: NodeJS.Timeout;
  #user: User | undefined;
  #lastUsername = '';
  #failures = 0;
  // A client gone before any login attempt (a scanner, ssh-keyscan, a
  // failed key exchange) is logged once, as the reference does.
  #attempted = false;
  /** Set once the connection has closed: a login admitted after that is released at once. */
  #closed = false;

  /** `acceptedAt`: when the socket was accepted (ms since the epoch), where the login deadline counts from. */
  constructor(services: LoginServices, connection: LiveConnection, acceptedAt = Date.now()) {
    this.#services = services;
    this.#connection = connection;
    const { client, remoteAddress } = connection;
    this.#grace = setTimeout(
      () => {
        this.#attempted = true;
        const timeout = new LoginError('login timeout');
        services.recorder.failed(this.#lastUsername, remoteAddress, 'no_auth_tryed', timeout);
        client.end();
      },
      Math.max(0, acceptedAt + services.loginGraceMs - Date.now()),
    );
    this.#grace.unref();
    client.on('authentication', (ctx) => this.#authenticate(ctx));
  }

  /** The user logged in; undefined until then. */
  get user(): User | undefined {
    return this.#user;
  }

  /** The client failed or went away: logged if it never tried to log in. */
  leftBeforeAuth(error: string): void {
    if (this.#attempted || this.#services.closing()) return;
    this.#attempted = true;
    this.#services.recorder.noAuthAttempt(this.#connection.remoteAddress, error);
  }

  /** The connection closed: a user logged in has one session less. */
  closed(): void {
    this.#closed = true;
    this.leftBeforeAuth('connection closed before authentication');
    clearTimeout(this.#grace);
    if (this.#user) this.#services.sessions.release(this.#user.username);
  }

  #authenticate(ctx: ssh2.AuthContext): void {
    const { auth, recorder, sessions } = this.#services;
    const { id, client, remoteAddress: clientIp, remotePort: port } = this.#connection;
    this.#attempted = true;
    this.#lastUsername = ctx.username;
    const method = ctx.method;
    if (!auth.supports(method)) {
      ctx.reject(auth.methods);
      return;
    }
    const loginType = LOGIN_TYPES[method];
    auth
      .check(ctx, clientIp)
      .then(async (found) => {
        // A key offered without a signature: it may be used, the client signs next.
        if (!found) {
          ctx.accept();
          return;
        }
        await sessions.admit(found);
        // counted in another process, the admission may come after the client left
        if (this.#closed) {
          sessions.release(found.username);
          return;
        }
        clearTimeout(this.#grace);
        this.#user = found;
        this.#connection.username = found.username;
        recorder.loggedIn(found, { clientIp, port }, loginType, id, {
          ...(ctx.method === 'publickey' ? { fingerprint: keyFingerprint(ctx.key.data) } : {}),
        });
        ctx.accept();
      })
      .catch((err: unknown) => {
        // Clients try their keys in turn: a key merely not authorized is
        // negotiation, not a failed login, and must not feed fail2ban.
        const probing = ctx.method === 'publickey' && !ctx.signature;
        if (err instanceof SessionLimitError) {
          recorder.sessionLimit(ctx.username, clientIp, loginType, id, err);
        } else if (err instanceof ProviderError && err.code === 'unavailable') {
          recorder.providerUnavailable(ctx.username, clientIp, loginType, id, err);
        } else if (!(probing && err instanceof KeyNotAuthorizedError)) {
          recorder.failed(ctx.username, clientIp, loginType, err);
        }
        ctx.reject(auth.methods);
        if (++this.#failures >= this.#services.maxAuthTries) {
          recorder.tooManyFailures(id, clientIp, this.#failures);
          client.end();
        }
      });
  }
}
