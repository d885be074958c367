import type { Config } from '@sftpgo/config';
import type { DataProvider } from '@sftpgo/provider';
import {
  type DefenderOptions,
  type HostConnectionCounter,
  type Logger,
  type LoginDefender,
  type LoginEvent,
  SessionActions,
  type SessionCounter,
  type SessionEvent,
  SftpServer,
  type StorageOpener,
  type UploadJournal,
} from '@sftpgo/sftpd';
import { logSessionEvent } from './event-log.js';
import { memoryHooks } from './memory-hooks.js';
import { runScpCommand } from './scp-command.js';
import { versionInfo } from './version.js';

/** The SSH commands served: `enable_scp` is the spec's older way to list scp. */
export function sshCommandsOf(config: Config): readonly string[] {
  return config.sftpd.enable_scp
    ? [...config.sftpd.enabled_ssh_commands, 'scp']
    : config.sftpd.enabled_ssh_commands;
}

/** The defender's settings, times in minutes in the file. */
export function defenderOptions(d: Config['sftpd']['defender']): DefenderOptions {
  return {
    scorePerFailure: d.score_per_failure,
    threshold: d.threshold,
    banTimeMs: d.ban_time * 60_000,
    observationMs: d.observation_time * 60_000,
    allowList: d.allow_list,
  };
}

/** What the SSH service is made of, beside the configuration. */
export interface SshServiceParts {
  readonly config: Config;
  readonly logger: Logger;
  readonly hostKeys: readonly Buffer[];
  readonly loginBanner: string | undefined;
  readonly provider: DataProvider;
  readonly openStorage: StorageOpener;
  /** Where the metrics learn of transfers, commands and logins. */
  readonly metrics: {
    onEvent(event: SessionEvent): void;
    onLogin(event: LoginEvent): void;
  };
  /** A defender shared with other processes; the configured one of this process when absent. */
  readonly defender?: LoginDefender;
  /** A count of sessions shared with other processes; this process's own when absent. */
  readonly sessions?: SessionCounter;
  /** A count of each address's connections shared with other processes; this process's own when absent. */
  readonly hostConnections?: HostConnectionCounter;
  /** Where atomic uploads are noted while they run; none when absent. */
  readonly uploadJournal?: UploadJournal;
}

/** The SSH service as the configuration says, and its actions, which stopping waits for. */
export interface SshService {
  readonly sftp: SftpServer;
  readonly actions: SessionActions;
}

/**
 * The SSH service of `sftpgo serve`, not yet listening: the same in the
 * main process and in each worker process.
 */
export function createSshService(parts: SshServiceParts): SshService {
  const { config, logger, metrics } = parts;
  const actions = new SessionActions(config.sftpd.actions, {
    onOutcome: (o) =>
      logger.log({
        level: o.ok ? 'debug' : 'warn',
        sender: 'actions',
        message: o.ok
          ? `action ${o.action} for ${JSON.stringify(o.username)}: ${o.target} done in ${o.elapsedMs} ms`
          : `action ${o.action} for ${JSON.stringify(o.username)}: ${o.target} failed: ${o.error}`,
      }),
  });
  const defender =
    parts.defender ??
    (config.sftpd.defender.enabled ? defenderOptions(config.sftpd.defender) : undefined);
  const sftp = new SftpServer({
    openStorage: parts.openStorage,
    loginBanner: parts.loginBanner,
    maxAuthTries: config.sftpd.max_auth_tries,
    maxPerHostConnections: config.sftpd.max_per_host_connections,
    keyboardInteractiveProgram: config.sftpd.keyboard_interactive_auth_program,
    runScp: runScpCommand,
    sshCommands: sshCommandsOf(config),
    ...(defender ? { defender } : {}),
    ...(parts.sessions ? { sessions: parts.sessions } : {}),
    ...(parts.hostConnections ? { hostConnections: parts.hostConnections } : {}),
    ...(parts.uploadJournal ? { uploadJournal: parts.uploadJournal } : {}),
    ...(config.sftpd.proxy_protocol !== 0
      ? {
          proxyProtocol: {
            mode: config.sftpd.proxy_protocol,
            allowed: config.sftpd.proxy_allowed,
          },
        }
      : {}),
    ...(config.data_provider.external_auth_program
      ? {
          externalAuth: {
            program: config.data_provider.external_auth_program,
            scope: config.data_provider.external_auth_scope,
          },
        }
      : {}),
    algorithms: {
      kex: config.sftpd.kex_algorithms,
      cipher: config.sftpd.ciphers,
      mac: config.sftpd.macs,
    },
    hostKeys: parts.hostKeys,
    users: parts.provider,
    ident: config.sftpd.banner || `SFTPGo_${versionInfo.version}`,
    uploadMode: config.sftpd.upload_mode,
    setstatMode: config.sftpd.setstat_mode,
    quotaTracking: config.data_provider.track_quota,
    idleTimeoutMs: config.sftpd.idle_timeout * 60_000,
    ...memoryHooks(),
    onEvent: (event) => {
      logSessionEvent(logger, event);
      actions.handle(event);
      metrics.onEvent(event);
    },
    onLogin: (event) => metrics.onLogin(event),
    logger,
  });
  return { sftp, actions };
}
