import { posix } from 'node:path';
import { modeString } from '@sftpgo/sftp-protocol';
import type { Logger, SessionEvent } from '@sftpgo/sftpd';

/** `YYYY-MM-DDTHH:MM:SS`, the spec's format for the times of a Chtimes line. */
function logTime(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString().slice(0, 19);
}

/**
 * A user's path as the reference logs transfers and commands: on the
 * filesystem, the home directory joined with the path, which is taken from
 * `/` when relative (a symlink's target) and never above the home.
 */
function storagePath(homeDir: string, path: string): string {
  return posix.join(homeDir, posix.normalize(`/${path}`)).replace(/(.)\/$/, '$1');
}

/**
 * Writes a session event as the spec's transfer or command log line, with
 * exactly its fields, so that existing log parsers keep working.
 */
export function logSessionEvent(logger: Logger, event: SessionEvent): void {
  if (event.type === 'transfer') {
    // as the reference: a failed transfer is no Upload or Download, only a warning
    if (!event.completed) {
      logger.log({
        level: 'warn',
        sender: 'sftpd',
        connection_id: event.connectionId,
        message: `transfer error: ${event.error}, path: ${JSON.stringify(storagePath(event.homeDir, event.path))}`,
      });
      return;
    }
    logger.log({
      level: 'info',
      sender: event.operation === 'upload' ? 'Upload' : 'Download',
      elapsed_ms: event.elapsedMs,
      size_bytes: event.bytes,
      username: event.username,
      file_path: storagePath(event.homeDir, event.path),
      connection_id: event.connectionId,
      protocol: event.protocol,
    });
    return;
  }
  if (event.type === 'ssh-command') {
    if (!event.ok) return;
    logger.log({
      level: 'info',
      sender: 'SSHCommand',
      username: event.username,
      file_path: event.path,
      target_path: '',
      filemode: '',
      uid: -1,
      gid: -1,
      access_time: '',
      modification_time: '',
      ssh_command: event.commandLine,
      connection_id: event.connectionId,
      // the reference's protocol of every exec request, scp's included
      protocol: 'SSH',
    });
    return;
  }
  logger.log({
    level: 'info',
    sender: event.command,
    username: event.username,
    file_path: storagePath(event.homeDir, event.path),
    target_path: event.targetPath === undefined ? '' : storagePath(event.homeDir, event.targetPath),
    filemode: event.mode === undefined ? '' : modeString(event.mode),
    uid: event.uid ?? -1,
    gid: event.gid ?? -1,
    access_time: logTime(event.atimeMs),
    modification_time: logTime(event.mtimeMs),
    ssh_command: '',
    connection_id: event.connectionId,
    protocol: event.protocol,
  });
}
