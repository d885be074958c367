import type { User } from '@sftpgo/provider';
import { DEFAULT_MAX_IN_FLIGHT, SftpSession } from '@sftpgo/sftp-protocol';
import { VfsSftpHandler } from '@sftpgo/sftp-vfs';
import type { Fs } from '@sftpgo/vfs';
import type ssh2 from 'ssh2';
import type { LiveConnection } from './live-connection.js';
import type { Logger } from './logger.js';
import type { QuotaStore } from './quota-fs.js';
import type { ActiveTransfer, SessionEvent } from './session-events.js';
import { type SessionFsOptions, sessionFs } from './session-fs.js';
import { sshCommandPath } from './ssh-commands/command-line.js';
import {
  type CommandChannel,
  runSshCommand,
  type SshCommandResult,
  type SshCommandSession,
} from './ssh-commands/run-ssh-command.js';
import { type StorageOpener, storageRootOf } from './user-storage.js';

/** What the channels of a session are served with: the server's settings and services. */
export interface ChannelServices {
  readonly openStorage: StorageOpener;
  readonly quotaStore: QuotaStore;
  readonly fsOptions: SessionFsOptions;
  readonly onEvent: (event: SessionEvent) => void;
  readonly logger: Logger;
  readonly sshCommands: ReadonlySet<string>;
  readonly runScp: SshCommandSession['runScp'];
}

/** The ssh2 npm client, which sends SYMLINK in the draft's order to servers other than OpenSSH. */
const SSH2_CLIENT = /^SSH-[\d.]+-ssh2js/;

/**
 * Runs one exec request of a logged-in user (scp, a checksum, git, rsync...)
 * on its storage, then ends the channel with the command's exit status.
 */
export async function serveCommand(
  services: ChannelServices,
  channel: ssh2.ServerChannel,
  commandLine: string,
  user: User,
  connection: LiveConnection,
  onActivity: () => void,
): Promise<void> {
  const protocol = /^\s*scp(\s|$)/.test(commandLine) ? 'SCP' : 'SSH';
  connection.protocol = protocol;
  connection.sshCommand = commandLine;
  const context = {
    username: user.username,
    connectionId: connection.id,
    protocol,
    homeDir: storageRootOf(user),
    localFiles: user.filesystem.provider === 0,
  } as const;
  // A running command is activity; a 'data' listener would consume the
  // client's first bytes before the command reads them.
  onActivity();
  const keepAlive = setInterval(onActivity, 10_000);
  let result: SshCommandResult = { command: '', exitCode: 1 };
  let storage: Fs | undefined;
  try {
    storage = await services.openStorage(user);
    result = await runSshCommand(
      commandLine,
      channel as unknown as CommandChannel,
      {
        user,
        storage,
        openPolicyFs: () => {
          const { fs, transfers } = sessionFs(storage as Fs, user, services.fsOptions, {
            quotaStore: services.quotaStore,
            context,
            emit: services.onEvent,
          });
          connection.transfers.add(transfers);
          return fs;
        },
        quotaStore: services.quotaStore,
        quotaTracking: services.fsOptions.quotaTracking,
        runScp: services.runScp,
      },
      services.sshCommands,
    );
  } catch (err) {
    services.logger.log({
      level: 'error',
      sender: 'sftpd',
      message: `SSH command ${JSON.stringify(commandLine)} failed: ${(err as Error).message}`,
      connection_id: connection.id,
    });
    if (channel.writable) channel.stderr.write('the command failed on the server\n');
  }
  await storage?.close?.();
  clearInterval(keepAlive);
  if (result.exitCode !== 0) {
    // the reference's sender and text, for filters written for it
    services.logger.log({
      level: 'warn',
      sender: 'ssh',
      connection_id: connection.id,
      message: `command failed: ${JSON.stringify(commandLine)} user: ${user.username} exit status: ${result.exitCode}`,
    });
  }
  services.onEvent({
    ...context,
    type: 'ssh-command',
    command: result.command,
    commandLine,
    path: sshCommandPath(commandLine),
    ok: result.exitCode === 0,
  });
  if (channel.writable) {
    channel.exit(result.exitCode);
    channel.end();
  }
}

/**
 * Serves the SFTP subsystem of a logged-in user on its storage, through the
 * session policy, then ends the channel with an exit status.
 */
export async function serveSftp(
  services: ChannelServices,
  channel: ssh2.ServerChannel,
  user: User,
  connection: LiveConnection,
  onRequest: () => void,
): Promise<void> {
  const connectionId = connection.id;
  let storage: Fs;
  let fs: Fs;
  let transfers: ReadonlySet<ActiveTransfer>;
  try {
    storage = await services.openStorage(user);
    ({ fs, transfers } = sessionFs(storage, user, services.fsOptions, {
      quotaStore: services.quotaStore,
      context: {
        username: user.username,
        connectionId,
        protocol: 'SFTP',
        homeDir: storageRootOf(user),
        localFiles: user.filesystem.provider === 0,
      },
      emit: services.onEvent,
      endsAfterReply: true,
    }));
  } catch (err) {
    services.logger.log({
      level: 'error',
      sender: 'sftpd',
      message: `cannot open the storage of ${user.username}: ${(err as Error).message}`,
      connection_id: connectionId,
    });
    channel.exit(1);
    channel.end();
    return;
  }
  const session = new SftpSession(channel, new VfsSftpHandler(fs, { username: user.username }), {
    // the writes a killed process may leave unsettled, UNSETTLED_WRITE_BYTES, count on it
    maxInFlight: DEFAULT_MAX_IN_FLIGHT,
    draftSymlinkOrder: SSH2_CLIENT.test(connection.clientVersion),
    onRequest,
    // ssh2 copies each chunk into an SSH packet before calling back.
    outputCopies: true,
    // each write to the channel becomes SSH packets of its own
    joinReplies: true,
    onUnexpectedError: (err) =>
      services.logger.log({
        level: 'error',
        sender: 'sftpd',
        message: `SFTP request failed: ${(err as Error).message}`,
        connection_id: connectionId,
      }),
  });
  connection.transfers.add(transfers);
  const end = await session.ended;
  connection.transfers.delete(transfers);
  await storage.close?.();
  if (end.reason === 'protocol-error') {
    services.logger.log({
      level: 'warn',
      sender: 'sftpd',
      message: `SFTP session closed: ${end.error.message}`,
      connection_id: connectionId,
    });
  }
  // Without an exit status, `sftp -b` waits forever and scp reports -1.
  if (channel.writable) {
    channel.exit(end.reason === 'eof' ? 0 : 1);
    channel.end();
  }
}
