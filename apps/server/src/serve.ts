import { readFile } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import { isAbsolute, join, resolve } from 'node:path';
import { createApi } from '@sftpgo/api';
import { type DefenderOptions, type Logger, loadHostKeys, SftpServer } from '@sftpgo/sftpd';
import { type Config, loadConfig } from './config.js';
import { openConfiguredProvider } from './data-provider.js';
import { logSessionEvent } from './event-log.js';
import { fullVersion, versionInfo } from './version.js';

export interface ServeOptions {
  readonly configDir: string;
  readonly configFile: string;
  readonly logger: Logger;
}

/** A running server; `stop` ends it cleanly. */
export interface RunningServer {
  /** Re-reads what can change without a restart (SIGHUP): the memory provider's dump. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

function listenHttp(app: ReturnType<typeof createApi>, port: number, host: string) {
  return new Promise<HttpServer>((resolvePromise, reject) => {
    const server = createServer(app);
    server.once('error', reject);
    server.listen({ port, host: host || undefined }, () => {
      server.off('error', reject);
      resolvePromise(server);
    });
  });
}

/** The login banner file's text; a file that cannot be read is logged and skipped. */
async function readLoginBanner(
  configDir: string,
  file: string,
  logger: Logger,
): Promise<string | undefined> {
  if (!file) return undefined;
  const path = isAbsolute(file) ? file : join(configDir, file);
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    logger.log({
      level: 'warn',
      sender: 'config',
      message: `login banner file ${path} not read, no banner sent: ${(err as Error).message}`,
    });
    return undefined;
  }
}

/** The defender's settings, times in minutes in the file. */
function defenderOptions(d: Config['sftpd']['defender']): DefenderOptions {
  return {
    scorePerFailure: d.score_per_failure,
    threshold: d.threshold,
    banTimeMs: d.ban_time * 60_000,
    observationMs: d.observation_time * 60_000,
    allowList: d.allow_list,
  };
}

/** Starts the SFTP service and the REST API as the configuration says. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const { logger } = options;
  const configDir = resolve(options.configDir);
  const { config, file } = await loadConfig(configDir, options.configFile);
  logger.log({
    level: 'info',
    sender: 'config',
    message: file
      ? `configuration loaded from ${file}`
      : 'no configuration file found, using defaults',
  });

  const store = await openConfiguredProvider({
    config,
    configDir,
    logger,
    tolerateDeniedMigrations: true,
  });
  const { provider } = store;
  const closers: (() => Promise<void>)[] = [() => provider.close()];
  const stop = async () => {
    for (const close of closers.reverse()) await close();
  };

  // New files and directories: what the spec's umask lets through.
  process.umask(Number.parseInt(config.sftpd.umask, 8));
  try {
    const hostKeys = await loadHostKeys(
      configDir,
      config.sftpd.keys.map((k) => k.private_key),
    );
    const loginBanner = await readLoginBanner(configDir, config.sftpd.login_banner_file, logger);
    const sftp = new SftpServer({
      loginBanner,
      maxAuthTries: config.sftpd.max_auth_tries,
      keyboardInteractiveProgram: config.sftpd.keyboard_interactive_auth_program,
      ...(config.sftpd.defender.enabled
        ? { defender: defenderOptions(config.sftpd.defender) }
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
      hostKeys,
      provider,
      ident: config.sftpd.banner || `SFTPGo_${versionInfo.version}`,
      uploadMode: config.sftpd.upload_mode,
      setstatMode: config.sftpd.setstat_mode,
      quotaTracking: config.data_provider.track_quota,
      idleTimeoutMs: config.sftpd.idle_timeout * 60_000,
      onEvent: (event) => logSessionEvent(logger, event),
      logger,
    });
    const sshAddress = await sftp.listen(config.sftpd.bind_port, config.sftpd.bind_address);
    closers.push(() => sftp.close());
    logger.log({
      level: 'info',
      sender: 'sftpd',
      message: `SFTP server listening on ${sshAddress.address}:${sshAddress.port}`,
    });

    if (config.httpd.bind_port !== 0) {
      const api = createApi({
        provider,
        connections: sftp,
        version: versionInfo,
        onInternalError: (err) =>
          logger.log({ level: 'error', sender: 'httpd', message: (err as Error).message }),
      });
      const http = await listenHttp(api, config.httpd.bind_port, config.httpd.bind_address);
      closers.push(
        () =>
          new Promise<void>((done) => {
            http.close(() => done());
            http.closeAllConnections();
          }),
      );
      const address = http.address();
      logger.log({
        level: 'info',
        sender: 'httpd',
        message: `HTTP server listening on ${typeof address === 'string' ? address : `${address?.address}:${address?.port}`}`,
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  logger.log({ level: 'info', sender: 'service', message: `SFTPGo ${fullVersion} started` });
  const reload = async (): Promise<void> => {
    try {
      const count = await store.reload();
      if (count !== undefined) {
        logger.log({
          level: 'info',
          sender: 'dataprovider',
          message: `users reloaded from ${config.data_provider.name}: ${count} users`,
        });
      }
    } catch (err) {
      logger.log({
        level: 'error',
        sender: 'dataprovider',
        message: `users not reloaded, the previous ones are kept: ${(err as Error).message}`,
      });
    }
  };
  return { reload, stop };
}
