import {
  SSH_FX_BAD_MESSAGE,
  SSH_FX_EOF,
  SSH_FX_FAILURE,
  SSH_FX_NO_SUCH_FILE,
  SSH_FX_OP_UNSUPPORTED,
  SSH_FX_PERMISSION_DENIED,
} from './constants.js';

/**
 * An error that a handler throws to answer a request with a given SFTP
 * status code. Its message is sent to the client.
 */
export class SftpStatusError extends Error {
  override readonly name = 'SftpStatusError';
  readonly status: number;

  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/** A packet that cannot be decoded: answered with SSH_FX_BAD_MESSAGE. */
export class BadMessageError extends SftpStatusError {
  constructor(message: string) {
    super(SSH_FX_BAD_MESSAGE, message);
  }
}

/** The status for a request, extension or part of one that the handler does not serve. */
export function unsupported(what: string): SftpStatusError {
  return new SftpStatusError(SSH_FX_OP_UNSUPPORTED, `${what} is not supported`);
}

/** A framing error after which the stream cannot be trusted: the session ends. */
export class SftpProtocolError extends Error {
  override readonly name = 'SftpProtocolError';
}

/** The default message of each status code, as OpenSSH words them. */
export const STATUS_MESSAGES: Readonly<Record<number, string>> = {
  0: 'Success',
  [SSH_FX_EOF]: 'End of file',
  [SSH_FX_NO_SUCH_FILE]: 'No such file',
  [SSH_FX_PERMISSION_DENIED]: 'Permission denied',
  [SSH_FX_FAILURE]: 'Failure',
  [SSH_FX_BAD_MESSAGE]: 'Bad message',
  6: 'No connection',
  7: 'Connection lost',
  [SSH_FX_OP_UNSUPPORTED]: 'Operation unsupported',
};
