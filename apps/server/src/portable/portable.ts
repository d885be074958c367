import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@sftpgo/config';
import { AccountSecrets, ValidationError } from '@sftpgo/provider';
import {
  checkSystemCommandSandbox,
  generateHostKeys,
  hostKeyFingerprints,
  type Logger,
  SftpServer,
} from '@sftpgo/sftpd';
import { openConfiguredProvider } from '../data-provider.js';
import { logSessionEvent } from '../event-log.js';
import { memoryHooks } from '../memory-hooks.js';
import { runScpCommand } from '../scp-command.js';
import { userStorages } from '../user-storages.js';
import { fullVersion, versionInfo } from '../version.js';
import { type Advertisement, advertiseSftp } from './mdns.js';
import { type PortableSettings, PortableUsageError } from './portable-settings.js';

/** A running portable share. */
export interface RunningPortable {
  readonly port: number;
  /** The addresses clients reach it at: the one bound, or every external one. */
  readonly addresses: readonly string[];
  readonly hostKeys: readonly { type: string; fingerprint: string }[];
  /** Whether the service is advertised by multicast DNS. */
  readonly advertised: boolean;
  /** Withdraws the advertisement, closes the server, removes what it wrote. */
  stop(): Promise<void>;
}

/** What the uploads of a portable share to an object store buffer, together. */
const UPLOAD_MEMORY = 256 * 1024 * 1024;

/** The addresses of this machine that other machines reach, IPv4 first; loopback if none. */
function externalAddresses(): string[] {
  const found = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal && !a.address.startsWith('fe80:'))
    .sort((a, b) => (a?.family === b?.family ? 0 : a?.family === 'IPv4' ? -1 : 1))
    .map((a) => a?.address as string);
  return found.length > 0 ? found : ['127.0.0.1'];
}

/** The TXT record: the version, and with `-C` the credentials, as the reference publishes them. */
function txtRecord(settings: PortableSettings, logger: Logger): Record<string, string> {
  const txt: Record<string, string> = { version: fullVersion };
  if (!settings.advertiseCredentials) return txt;
  txt.user = settings.user.username;
  if (settings.password) {
    txt.password = settings.password;
  } else {
    logger.log({
      level: 'warn',
      sender: 'portable',
      message: 'the credentials advertised hold no password: the account logs in with a key',
    });
  }
  return txt;
}

/**
 * Serves one directory or bucket to one account, with no configuration file
 * and nothing written beside what is shared: the memory data provider, host
 * keys made in memory, the account's secrets in a temporary directory
 * removed at the stop. The session policy is `serve`'s, with atomic uploads
 * (a file appears once whole) and no actions.
 * @throws {PortableUsageError} when the account or the SSH commands cannot be used
 */
export async function startPortable(
  settings: PortableSettings,
  logger: Logger,
): Promise<RunningPortable> {
  const closers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => {});
  };
  try {
    const workDir = await mkdtemp(join(tmpdir(), 'sftpgo-portable-'));
    closers.push(() => rm(workDir, { recursive: true, force: true }));
    const secrets = new AccountSecrets({
      keyFile: join(workDir, 'secrets.key'),
      credentialsDir: join(workDir, 'credentials'),
    });
    const config = parseConfig({ data_provider: { driver: 'memory', name: '' } }, 'portable mode');
    const { provider } = await openConfiguredProvider({
      config,
      configDir: workDir,
      logger,
      tolerateDeniedMigrations: true,
      secrets,
    });
    closers.push(() => provider.close());
    try {
      await provider.addUser(settings.user);
    } catch (err) {
      if (err instanceof ValidationError) throw new PortableUsageError(err.problems.join('; '));
      throw err;
    }
    try {
      for (const warning of await checkSystemCommandSandbox(settings.sshCommands)) {
        logger.log({ level: 'warn', sender: 'portable', message: warning });
      }
    } catch (err) {
      throw new PortableUsageError(`--ssh-commands: ${(err as Error).message}`);
    }
    const hostKeys = generateHostKeys();
    const server = new SftpServer({
      hostKeys,
      users: provider,
      openStorage: userStorages({ secrets, uploadMemoryBytes: UPLOAD_MEMORY }),
      ident: `SFTPGo_${versionInfo.version}`,
      sshCommands: settings.sshCommands,
      runScp: runScpCommand,
      uploadMode: 1,
      setstatMode: 0,
      quotaTracking: 0,
      // as the reference's portable mode: room for a client that offers many keys
      maxAuthTries: 12,
      idleTimeoutMs: 15 * 60_000,
      onEvent: (event) => logSessionEvent(logger, event),
      ...memoryHooks(),
      logger,
    });
    const address = await server.listen(settings.port, settings.bindAddress);
    closers.push(() => server.close({ graceMs: 2000 }));
    let advertisement: Advertisement | undefined;
    if (settings.advertiseService) {
      try {
        advertisement = await advertiseSftp(address.port, txtRecord(settings, logger));
        closers.push(() => (advertisement as Advertisement).withdraw());
      } catch (err) {
        logger.log({
          level: 'warn',
          sender: 'portable',
          message: `the service is not advertised by multicast DNS: ${(err as Error).message}`,
        });
      }
    }
    const bound = settings.bindAddress;
    return {
      port: address.port,
      addresses: bound && bound !== '0.0.0.0' && bound !== '::' ? [bound] : externalAddresses(),
      hostKeys: hostKeyFingerprints(hostKeys),
      advertised: advertisement !== undefined,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
