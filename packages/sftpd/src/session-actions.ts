import { posix } from 'node:path';
import {
  type ActionResult,
  type ActionTarget,
  isHttpUrl,
  runActionCommand,
  runActionTargets,
  sendActionNotification,
} from '@sftpgo/provider';
import type { SessionEvent } from './session-events.js';

export const SESSION_ACTIONS = ['download', 'upload', 'delete', 'rename', 'ssh_cmd'] as const;
export type SessionAction = (typeof SESSION_ACTIONS)[number];

/** The spec's `sftpd.actions`. */
export interface SessionActionsSettings {
  readonly execute_on: readonly string[];
  /** Absolute path of the program to run; empty disables it. */
  readonly command: string;
  /** Where a GET is sent; empty disables it. */
  readonly http_notification_url: string;
}

/** What an action is about: the values of its arguments, variables and query. */
export interface SessionActionFacts {
  readonly action: SessionAction;
  readonly username: string;
  /** The full path in the storage. */
  readonly path: string;
  readonly targetPath: string;
  readonly sshCommand: string;
  /** For upload, download and delete; 0 passes no size, as in the reference. */
  readonly fileSize?: number;
  /** False when the file is in object storage. */
  readonly localFile: boolean;
}

/** How one target of an action went, for the log. */
export interface SessionActionOutcome extends ActionResult {
  readonly action: SessionAction;
  readonly username: string;
  readonly target: ActionTarget;
  readonly elapsedMs: number;
}

export interface SessionActionsOptions {
  /** Called once per target of every action run; it must not throw. */
  readonly onOutcome?: (outcome: SessionActionOutcome) => void;
  /** The spec's limits: 30 s for the command, 15 s for the notification. */
  readonly commandTimeoutMs?: number;
  readonly httpTimeoutMs?: number;
  /** Actions running at once; more wait their turn. */
  readonly concurrency?: number;
  /** Actions waiting at most; beyond it an action is dropped and reported. */
  readonly maxQueued?: number;
}

/** Every problem of `settings`, each naming its key. */
export function sessionActionsProblems(settings: SessionActionsSettings): string[] {
  const known: readonly string[] = SESSION_ACTIONS;
  const problems = settings.execute_on
    .filter((a) => !known.includes(a))
    .map((a) => `execute_on: unknown action ${JSON.stringify(a)}`);
  if (settings.command !== '' && !posix.isAbsolute(settings.command)) {
    problems.push('command: must be an absolute path');
  }
  if (settings.http_notification_url !== '' && !isHttpUrl(settings.http_notification_url)) {
    problems.push('http_notification_url: must be an http or https URL');
  }
  return problems;
}

/** The action a session event fires, if any: failed transfers fire none. */
export function actionOf(event: SessionEvent): SessionActionFacts | undefined {
  const full = (path: string) => posix.join(event.homeDir, path);
  // Every field in one literal: a shared base spread into a literal that
  // adds to it takes V8's slow path, once per transfer here.
  const facts = (
    action: SessionAction,
    path: string,
    more: {
      readonly targetPath?: string;
      readonly sshCommand?: string;
      readonly fileSize?: number;
    },
  ): SessionActionFacts => ({
    action,
    username: event.username,
    path,
    targetPath: more.targetPath ?? '',
    sshCommand: more.sshCommand ?? '',
    fileSize: more.fileSize,
    localFile: event.localFiles ?? true,
  });
  if (event.type === 'transfer') {
    if (!event.completed) return undefined;
    return facts(event.operation, full(event.path), { fileSize: event.fileSize ?? event.bytes });
  }
  if (event.type === 'ssh-command') {
    // scp fires upload and download, never ssh_cmd
    if (!event.ok || event.command === 'scp') return undefined;
    // `cd /` names the home itself: no trailing slash
    const path = event.path ? full(event.path).replace(/(.)\/+$/, '$1') : '';
    return facts('ssh_cmd', path, { sshCommand: event.command });
  }
  if (event.command === 'Remove') {
    return facts('delete', full(event.path), { fileSize: event.size });
  }
  if (event.command === 'Rename') {
    return facts('rename', full(event.path), { targetPath: full(event.targetPath ?? '') });
  }
  return undefined;
}

/**
 * The spec's custom actions on file operations: a program run and an HTTP GET
 * sent after a successful upload, download, delete, rename or SSH command.
 * They run off the session's path, a few at a time; their failures are
 * reported, never passed to the session.
 */
export class SessionActions {
  readonly #settings: SessionActionsSettings;
  /** Whether any action can run: some are on, with a program or a URL to tell. */
  readonly #enabled: boolean;
  readonly #options: Required<Omit<SessionActionsOptions, 'onOutcome'>> &
    Pick<SessionActionsOptions, 'onOutcome'>;
  readonly #queue: SessionActionFacts[] = [];
  #running = 0;
  readonly #idleWaiters: (() => void)[] = [];

  constructor(settings: SessionActionsSettings, options: SessionActionsOptions = {}) {
    this.#settings = settings;
    this.#enabled =
      settings.execute_on.length > 0 &&
      (settings.command !== '' || settings.http_notification_url !== '');
    this.#options = {
      onOutcome: options.onOutcome,
      commandTimeoutMs: options.commandTimeoutMs ?? 30_000,
      httpTimeoutMs: options.httpTimeoutMs ?? 15_000,
      concurrency: options.concurrency ?? 8,
      maxQueued: options.maxQueued ?? 10_000,
    };
  }

  /** Queues the action of `event`, if it has one that is enabled. */
  handle(event: SessionEvent): void {
    // most servers run no action: nothing is worked out for each event then
    if (!this.#enabled) return;
    const facts = actionOf(event);
    if (facts) this.fire(facts);
  }

  /** Queues an action, if enabled; returns at once. */
  fire(facts: SessionActionFacts): void {
    const { execute_on, command, http_notification_url } = this.#settings;
    if (!execute_on.includes(facts.action) || (command === '' && http_notification_url === '')) {
      return;
    }
    if (this.#queue.length >= this.#options.maxQueued) {
      this.#report(facts, command !== '' ? 'command' : 'http', 0, {
        ok: false,
        error: `dropped: ${this.#options.maxQueued} actions are waiting already`,
      });
      return;
    }
    this.#queue.push(facts);
    this.#pump();
  }

  /** Resolves once no action is queued or running. */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #pump(): void {
    while (this.#running < this.#options.concurrency) {
      const facts = this.#queue.shift();
      if (!facts) break;
      this.#running++;
      void this.#run(facts).finally(() => {
        this.#running--;
        this.#pump();
        if (this.#running === 0 && this.#queue.length === 0) {
          for (const resolve of this.#idleWaiters.splice(0)) resolve();
        }
      });
    }
  }

  #run(facts: SessionActionFacts): Promise<void> {
    const { command, http_notification_url } = this.#settings;
    return runActionTargets(
      {
        ...(command !== '' && { command: () => this.#runCommand(facts) }),
        ...(http_notification_url !== '' && { http: () => this.#notify(facts) }),
      },
      (target, elapsedMs, result) => this.#report(facts, target, elapsedMs, result),
    );
  }

  #report(
    facts: SessionActionFacts,
    target: ActionTarget,
    elapsedMs: number,
    result: ActionResult,
  ): void {
    this.#options.onOutcome?.({
      action: facts.action,
      username: facts.username,
      target,
      elapsedMs,
      ...result,
    });
  }

  #runCommand(facts: SessionActionFacts): Promise<ActionResult> {
    const args = [facts.action, facts.username, facts.path, facts.targetPath, facts.sshCommand];
    const env = {
      SFTPGO_ACTION: facts.action,
      SFTPGO_ACTION_USERNAME: facts.username,
      SFTPGO_ACTION_PATH: facts.path,
      SFTPGO_ACTION_TARGET: facts.targetPath,
      SFTPGO_ACTION_SSH_CMD: facts.sshCommand,
      SFTPGO_ACTION_FILE_SIZE: facts.fileSize ? String(facts.fileSize) : '',
      SFTPGO_ACTION_LOCAL_FILE: String(facts.localFile),
    };
    return runActionCommand(this.#settings.command, args, env, this.#options.commandTimeoutMs);
  }

  #notify(facts: SessionActionFacts): Promise<ActionResult> {
    const url = new URL(this.#settings.http_notification_url);
    const query = url.searchParams;
    query.append('action', facts.action);
    query.append('username', facts.username);
    query.append('path', facts.path);
    query.append('local_file', String(facts.localFile));
    if (facts.action === 'rename') query.append('target_path', facts.targetPath);
    if (facts.action === 'ssh_cmd') query.append('ssh_cmd', facts.sshCommand);
    if (facts.fileSize) query.append('file_size', String(facts.fileSize));
    return sendActionNotification(url, { method: 'GET' }, this.#options.httpTimeoutMs);
  }
}
