import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { createApi, Htpasswd } from '@sftpgo/api';
import { type Config, loadConfig } from '@sftpgo/config';
import { checkSystemCommandSandbox, type Logger, loadHostKeys } from '@sftpgo/sftpd';
import { openServingProvider } from './data-provider.js';
import { type HttpListener, listenHttp } from './http-listener.js';
import { createMetrics } from './metrics.js';
import { sshCommandsOf } from './ssh-service.js';
import { startSsh } from './start-ssh.js';
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

/**
 * The operator's web admin templates and static files (`httpd.templates_path`,
 * `httpd.static_files_path`, relative to the config dir): each only if the
 * directory exists; the web admin uses its own files otherwise.
 */
function webDirs(configDir: string, httpd: Config['httpd']) {
  const dir = (path: string) => {
    const full = path ? resolve(configDir, path) : undefined;
    return full && statSync(full, { throwIfNoEntry: false })?.isDirectory() ? full : undefined;
  };
  return {
    templatesPath: dir(httpd.templates_path),
    staticFilesPath: dir(httpd.static_files_path),
  };
}

/** Starts the SFTP service and the REST API as the configuration says. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const { logger } = options;
  const configDir = resolve(options.configDir);
  const { config, file, ignoredFiles, warnings } = await loadConfig(configDir, options.configFile);
  // keys and variables of other releases, ignored as the reference ignores them
  for (const message of warnings) logger.log({ level: 'warn', sender: 'config', message });
  for (const ignored of ignoredFiles) {
    logger.log({
      level: 'warn',
      sender: 'config',
      message: `configuration file ${ignored} ignored: ${file} is read`,
    });
  }
  logger.log({
    level: 'info',
    sender: 'config',
    message: file
      ? `configuration loaded from ${file}`
      : 'no configuration file found, using defaults',
  });

  // git and rsync run only in their sandbox: without it, the server does not start
  for (const warning of await checkSystemCommandSandbox(sshCommandsOf(config))) {
    logger.log({ level: 'warn', sender: 'sftpd', message: warning });
  }

  const { secrets, store } = await openServingProvider(config, configDir, logger);
  const { provider } = store;
  const closers: (() => Promise<void>)[] = [() => provider.close()];
  const stop = async () => {
    for (const close of closers.reverse()) await close();
  };

  let http: HttpListener | undefined;
  // New files and directories: what the spec's umask lets through.
  process.umask(Number.parseInt(config.sftpd.umask, 8));
  try {
    const hostKeys = await loadHostKeys(
      configDir,
      config.sftpd.keys.map((k) => k.private_key),
    );
    const loginBanner = await readLoginBanner(configDir, config.sftpd.login_banner_file, logger);
    // the gauge is read at scrapes, once the service it counts has started
    const metrics = createMetrics({
      connections: async () => (await ssh.registry.listConnections()).length,
      provider,
    });
    const ssh = await startSsh({
      config,
      configDir,
      logger,
      provider,
      secrets,
      metrics,
      hostKeys,
      loginBanner,
    });
    closers.push(ssh.close);
    logger.log({
      level: 'info',
      sender: 'sftpd',
      message: `SFTP server listening on ${ssh.address.address}:${ssh.address.port}`,
    });

    if (config.httpd.bind_port !== 0) {
      const authFile = config.httpd.auth_user_file;
      const onWarning = (message: string) =>
        logger.log({ level: 'warn', sender: 'httpd', message });
      const htpasswd = authFile
        ? await Htpasswd.load(resolve(configDir, authFile), { onWarning })
        : undefined;
      const api = createApi({
        htpasswd,
        provider,
        connections: ssh.registry,
        version: versionInfo,
        backupsPath: resolve(configDir, config.httpd.backups_path),
        quotaTracking: config.data_provider.track_quota !== 0,
        openStorage: ssh.openStorage,
        web: webDirs(configDir, config.httpd),
        onInternalError: (err) =>
          logger.log({ level: 'error', sender: 'httpd', message: (err as Error).message }),
        onAccess: (access) => {
          logger.log({ level: 'info', sender: 'httpd', ...access });
          metrics.onAccess(access);
        },
        metrics: metrics.endpoint,
      });
      const { certificate_file: certFile, certificate_key_file: keyFile } = config.httpd;
      http = await listenHttp(
        api,
        config.httpd.bind_port,
        config.httpd.bind_address,
        certFile && keyFile
          ? { certFile: resolve(configDir, certFile), keyFile: resolve(configDir, keyFile) }
          : undefined,
      );
      closers.push(() => (http as HttpListener).close());
      const { address, port } = http.address;
      logger.log({
        level: 'info',
        sender: 'httpd',
        message: `${http.secure ? 'HTTPS' : 'HTTP'} server listening on ${address}:${port}`,
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  logger.log({ level: 'info', sender: 'service', message: `SFTPGo ${fullVersion} started` });
  const reload = async (): Promise<void> => {
    await Promise.all([reloadUsers(), reloadCertificate()]);
  };
  const reloadUsers = async (): Promise<void> => {
    try {
      const count = await store.reload();
      if (count !== undefined) {
        logger.log({
          level: 'info',
          sender: 'dataProvider',
          message: `users reloaded from ${config.data_provider.name}: ${count} users`,
        });
      }
    } catch (err) {
      logger.log({
        level: 'error',
        sender: 'dataProvider',
        message: `users not reloaded, the previous ones are kept: ${(err as Error).message}`,
      });
    }
  };
  const reloadCertificate = async (): Promise<void> => {
    if (!http?.secure) return;
    try {
      await http.reloadCertificate();
      logger.log({ level: 'info', sender: 'httpd', message: 'HTTPS certificate reloaded' });
    } catch (err) {
      logger.log({
        level: 'error',
        sender: 'httpd',
        message: `HTTPS certificate not reloaded, the previous one is kept: ${(err as Error).message}`,
      });
    }
  };
  return { reload, stop };
}
