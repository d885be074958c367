import { hostPort } from '@sftpgo/auth';
import type { ProviderError, User } from '@sftpgo/provider';
import type { LoginDefender } from './defender.js';
import type { Logger } from './logger.js';
import { loginFailureReason, type SessionLimitError } from './login.js';
import type { LoginEvent } from './session-events.js';
import type { UserSource } from './user-source.js';

export interface LoginRecorderOptions {
  readonly logger: Logger;
  /** Where a successful login is recorded as the user's last. */
  readonly users: Pick<UserSource, 'updateLastLogin'>;
  readonly onLogin: (event: LoginEvent) => void;
  /** Scores the failed logins of each address; none when absent. */
  readonly defender?: LoginDefender | undefined;
}

/**
 * Records how each login attempt ended wherever that counts: in the log lines
 * that fail2ban and scripts read, in the metrics, in the defender's score of
 * the address, and as the user's last login.
 */
export class LoginRecorder {
  readonly #options: LoginRecorderOptions;

  constructor(options: LoginRecorderOptions) {
    this.#options = options;
  }

  /** A refused login: counted, scored by the defender, and logged for fail2ban. */
  failed(username: string, clientIp: string, loginType: string, err: unknown): void {
    const { logger, onLogin, defender } = this.#options;
    onLogin({ username, clientIp, loginType, ok: false });
    if (defender?.recordFailure(clientIp)) {
      logger.log({ level: 'warn', sender: 'defender', message: `banned ${clientIp}` });
    }
    this.#connectionFailed(clientIp, username, loginType, loginFailureReason(err));
  }

  /**
   * A client gone before trying to log in: neither counted as a login nor
   * fed to the defender, since load balancers' health checks do just that.
   */
  noAuthAttempt(clientIp: string, error: string): void {
    this.#connectionFailed(clientIp, '', 'no_auth_tryed', error);
  }

  /**
   * A user with valid credentials and all their sessions open: a failed
   * login for the metrics, but no attack, so neither a `connection_failed`
   * line for fail2ban nor a failure for the defender.
   */
  sessionLimit(
    username: string,
    clientIp: string,
    loginType: string,
    connectionId: string,
    err: SessionLimitError,
  ): void {
    this.#options.onLogin({ username, clientIp, loginType, ok: false });
    this.#options.logger.log({
      level: 'warn',
      sender: 'sftpd',
      connection_id: connectionId,
      message: `authentication refused for user ${JSON.stringify(username)} from ${clientIp}: ${err.message}`,
    });
  }

  /**
   * A login the data provider could not answer (its database down): a failed
   * login for the metrics, logged as an error, but not the client's doing, so
   * neither a `connection_failed` line for fail2ban nor a failure for the
   * defender: an outage must not get every user banned.
   */
  providerUnavailable(
    username: string,
    clientIp: string,
    loginType: string,
    connectionId: string,
    err: ProviderError,
  ): void {
    this.#options.onLogin({ username, clientIp, loginType, ok: false });
    this.#options.logger.log({
      level: 'error',
      sender: 'sftpd',
      connection_id: connectionId,
      message: `login of user ${JSON.stringify(username)} from ${clientIp} refused: the data provider is unavailable: ${err.message}`,
      username,
      client_ip: clientIp,
      login_type: loginType,
    });
  }

  /** A connection closed for its failed logins. */
  tooManyFailures(connectionId: string, clientIp: string, failures: number): void {
    this.#options.logger.log({
      level: 'info',
      sender: 'sftpd',
      connection_id: connectionId,
      message: `closing connection ${connectionId} from ${clientIp}: ${failures} failed login attempts`,
    });
  }

  /** A successful login: counted, recorded as the user's last, and logged. */
  loggedIn(
    user: User,
    { clientIp, port }: { readonly clientIp: string; readonly port: number },
    loginType: string,
    connectionId: string,
    details: { readonly fingerprint?: string },
  ): void {
    const { logger, users, onLogin } = this.#options;
    onLogin({ username: user.username, clientIp, loginType, ok: true });
    users.updateLastLogin?.(user.username).catch((err: unknown) =>
      logger.log({
        level: 'warn',
        sender: 'sftpd',
        message: `cannot record the last login of ${user.username}: ${(err as Error).message}`,
      }),
    );
    // the reference's text, which scripts grep for; `public_key:` names the key
    const method = details.fingerprint ? `${loginType}:${details.fingerprint}` : loginType;
    logger.log({
      level: 'info',
      sender: 'sftpd',
      connection_id: connectionId,
      message:
        `User id: ${user.id}, logged in with: ${JSON.stringify(method)}, ` +
        `username: ${JSON.stringify(user.username)}, home_dir: ${JSON.stringify(user.home_dir)} ` +
        `remote addr: ${JSON.stringify(hostPort(clientIp, port))}`,
      username: user.username,
      client_ip: clientIp,
      login_type: loginType,
      ...details,
    });
  }

  /**
   * The spec's connection failed log, its keys in the reference's order:
   * the reference's fail2ban filter matches `client_ip` then `username`.
   */
  #connectionFailed(clientIp: string, username: string, loginType: string, error: string): void {
    this.#options.logger.log({
      level: 'warn',
      sender: 'connection_failed',
      client_ip: clientIp,
      username,
      login_type: loginType,
      error,
    });
  }
}
