/** The protocols a session speaks, as the logs name them. */
export type Protocol = 'SFTP' | 'SCP' | 'SSH';

/** Who did something, and through which connection. */
export interface SessionContext {
  readonly username: string;
  readonly connectionId: string;
  readonly protocol: Protocol;
  /**
   * Where the user's virtual `/` is stored, the base of the full paths that
   * logs and actions show: the home directory, or in object storage the key
   * prefix (see `storageRootOf`).
   */
  readonly homeDir: string;
  /** False when the files are in object storage (`SFTPGO_ACTION_LOCAL_FILE`); true when absent. */
  readonly localFiles?: boolean;
}

/** A finished upload or download: the spec's "transfer logs". */
export interface TransferEvent extends SessionContext {
  readonly type: 'transfer';
  readonly operation: 'upload' | 'download';
  /** The virtual path of the file. */
  readonly path: string;
  readonly bytes: number;
  readonly elapsedMs: number;
  /**
   * False when the transfer failed: a read or write refused, the session
   * ended with the file open, or a download closed before the end of the
   * file.
   */
  readonly completed: boolean;
  /** Why a transfer that did not complete failed. */
  readonly error?: string;
  /** A completed upload: the file's size once written, a resumed file's earlier bytes included. */
  readonly fileSize?: number;
}

/** The commands of the spec's "command logs". */
export type CommandName =
  | 'Rename'
  | 'Rmdir'
  | 'Mkdir'
  | 'Symlink'
  | 'Remove'
  | 'Chmod'
  | 'Chown'
  | 'Chtimes';

/** A command that succeeded: the spec's "command logs". */
export interface CommandEvent extends SessionContext {
  readonly type: 'command';
  readonly command: CommandName;
  readonly path: string;
  /** Rename and Symlink: the other path. */
  readonly targetPath?: string;
  /** Chmod: the permission bits set. */
  readonly mode?: number;
  /** Chown: the owner and group set. */
  readonly uid?: number;
  readonly gid?: number;
  /** Chtimes: the times set, in milliseconds. */
  readonly atimeMs?: number;
  readonly mtimeMs?: number;
  /** Remove: the size of the file removed. */
  readonly size?: number;
}

/** An SSH command that ended (exec request): logs, `ssh_cmd` actions and metrics. */
export interface SshCommandEvent extends SessionContext {
  readonly type: 'ssh-command';
  /** The program: md5sum, cd, rsync, scp... */
  readonly command: string;
  /** The command line as the client sent it. */
  readonly commandLine: string;
  /**
   * The virtual path of its last argument, by the reference's rule (see
   * `sshCommandPath`); empty when it has none.
   */
  readonly path: string;
  readonly ok: boolean;
}

export type SessionEvent = TransferEvent | CommandEvent | SshCommandEvent;

/** A transfer in progress, as the connection list shows it. */
export interface ActiveTransfer {
  readonly operation: 'upload' | 'download';
  readonly path: string;
  readonly startTime: number;
  /** Bytes moved so far. */
  readonly bytes: number;
  readonly lastActivity: number;
}

/** A login attempt that ended: for metrics. `loginType` as the logs name it. */
export interface LoginEvent {
  readonly username: string;
  readonly clientIp: string;
  readonly loginType: string;
  readonly ok: boolean;
}
