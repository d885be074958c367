import { isAbsolute } from 'node:path';
import {
  type ActionResult,
  type ActionTarget,
  isHttpUrl,
  runActionCommand,
  runActionTargets,
  sendActionNotification,
} from './action-runner.js';
import { toPublicUser, type User } from './user.js';

export type UserAction = 'add' | 'update' | 'delete';

const USER_ACTIONS: readonly string[] = ['add', 'update', 'delete'] satisfies UserAction[];

/** The spec's `data_provider.actions`. */
export interface ProviderActionsSettings {
  /** The actions that fire: add, update, delete. */
  readonly execute_on: readonly string[];
  /** Absolute path of a program to run; empty disables it. */
  readonly command: string;
  /** Where the user is POSTed; empty disables it. */
  readonly http_notification_url: string;
}

/** How one target of a fired action went, for the log. */
export interface ActionOutcome extends ActionResult {
  readonly action: UserAction;
  readonly username: string;
  readonly target: ActionTarget;
  readonly elapsedMs: number;
}

export interface ProviderActionsOptions {
  /** Called once per target of every fired action; it must not throw. */
  readonly onOutcome?: (outcome: ActionOutcome) => void;
  /** The spec's limit for both the command and the notification. */
  readonly timeoutMs?: number;
}

/** Every problem of `settings`, each naming its key. */
export function providerActionsProblems(settings: ProviderActionsSettings): string[] {
  const problems = settings.execute_on
    .filter((action) => !USER_ACTIONS.includes(action))
    .map((action) => `execute_on: unknown action ${JSON.stringify(action)}`);
  if (settings.command !== '' && !isAbsolute(settings.command)) {
    problems.push('command: must be an absolute path');
  }
  const url = settings.http_notification_url;
  if (url !== '' && !isHttpUrl(url)) {
    problems.push('http_notification_url: must be an http or https URL');
  }
  return problems;
}

/**
 * The spec's provider actions: a command and an HTTP notification run when
 * an administrator adds, updates or deletes a user. Callers fire them only
 * for those API calls, never for quota, last login or external
 * authentication updates.
 */
export class ProviderActions {
  readonly #settings: ProviderActionsSettings;
  readonly #onOutcome: (outcome: ActionOutcome) => void;
  readonly #timeoutMs: number;
  readonly #running = new Set<Promise<void>>();

  constructor(settings: ProviderActionsSettings, options: ProviderActionsOptions = {}) {
    this.#settings = settings;
    this.#onOutcome = options.onOutcome ?? (() => {});
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  /**
   * Runs the command and the notification concurrently; resolves when both
   * are done and never rejects, since a failing action must not fail the
   * API call that fired it: failures go to `onOutcome`.
   */
  fire(action: UserAction, user: User): Promise<void> {
    const { execute_on, command, http_notification_url } = this.#settings;
    if (!execute_on.includes(action)) return Promise.resolve();
    const run = runActionTargets(
      {
        ...(command !== '' && { command: () => this.#runCommand(action, user) }),
        ...(http_notification_url !== '' && { http: () => this.#notify(action, user) }),
      },
      (target, elapsedMs, result) =>
        this.#onOutcome({ action, username: user.username, target, ...result, elapsedMs }),
    );
    const done = run.then(() => {
      this.#running.delete(done);
    });
    this.#running.add(done);
    return done;
  }

  /** Resolves once no fired action is running, including those fired meanwhile. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  #runCommand(action: UserAction, user: User): Promise<ActionResult> {
    const args = [
      action,
      user.username,
      String(user.id),
      String(user.status),
      String(user.expiration_date),
      user.home_dir,
      String(user.uid),
      String(user.gid),
    ];
    return runActionCommand(this.#settings.command, args, actionEnv(action, user), this.#timeoutMs);
  }

  #notify(action: UserAction, user: User): Promise<ActionResult> {
    const url = new URL(this.#settings.http_notification_url);
    url.searchParams.append('action', action);
    return sendActionNotification(
      url,
      { method: 'POST', json: toPublicUser(user) },
      this.#timeoutMs,
    );
  }
}

function actionEnv(action: UserAction, user: User): Record<string, string> {
  return {
    SFTPGO_USER_ACTION: action,
    SFTPGO_USER_USERNAME: user.username,
    SFTPGO_USER_PASSWORD: user.password,
    SFTPGO_USER_ID: String(user.id),
    SFTPGO_USER_STATUS: String(user.status),
    SFTPGO_USER_EXPIRATION_DATE: String(user.expiration_date),
    SFTPGO_USER_HOME_DIR: user.home_dir,
    SFTPGO_USER_UID: String(user.uid),
    SFTPGO_USER_GID: String(user.gid),
    SFTPGO_USER_QUOTA_FILES: String(user.quota_files),
    SFTPGO_USER_QUOTA_SIZE: String(user.quota_size),
    SFTPGO_USER_UPLOAD_BANDWIDTH: String(user.upload_bandwidth),
    SFTPGO_USER_DOWNLOAD_BANDWIDTH: String(user.download_bandwidth),
    SFTPGO_USER_MAX_SESSIONS: String(user.max_sessions),
    SFTPGO_USER_FS_PROVIDER: String(user.filesystem.provider),
  };
}
