import { cleanVirtualPath, type Fs, VfsError } from '@sftpgo/vfs';
import type { ScpOptions } from './command.js';
import { type ByteReader, type ByteWriter, ConnectionLost } from './io.js';

/** Bytes moved per read or write of file data. */
export const CHUNK_SIZE = 256 * 1024;
/** Longest control record accepted: a 4096-byte name and its header. */
export const MAX_RECORD_LENGTH = 4096 + 64;
/** Permission bits sent and applied: never set-id or sticky bits. */
export const MODE_MASK = 0o777;

export const OK = Buffer.from([0]);
/** Errors remembered of one transfer: a client may send any number of them. */
export const MAX_ERRORS_KEPT = 16;

/** Ends the whole transfer: the protocol cannot go on. */
export class ScpFatalError extends Error {
  override readonly name = 'ScpFatalError';
  /** Whether the peer should be told (it is not when it ended the transfer itself). */
  readonly notifyPeer: boolean;

  constructor(message: string, notifyPeer = true) {
    super(message);
    this.notifyPeer = notifyPeer;
  }
}

/** The state one scp command shares between its parts. */
export class ScpContext {
  readonly errors: string[] = [];
  readonly #chunkBuffers: (Buffer | undefined)[] = [undefined, undefined];

  /**
   * @param outputCopies the writer's stream has copied each chunk by the
   *   time it calls back, so a chunk sent may be filled again (see
   *   `ScpStreams.outputCopies`)
   */
  constructor(
    readonly options: ScpOptions,
    readonly fs: Fs,
    readonly reader: ByteReader,
    readonly writer: ByteWriter,
    readonly outputCopies = false,
  ) {}

  /**
   * One of two buffers of {@link CHUNK_SIZE} bytes that a transfer fills in
   * turn, one while the other is written, kept for the command's next file:
   * a new buffer for every chunk would be garbage the collector has to
   * chase, a quarter-megabyte at a time.
   */
  chunkBuffer(turn: 0 | 1): Buffer {
    let buffer = this.#chunkBuffers[turn];
    if (!buffer) {
      buffer = Buffer.allocUnsafeSlow(CHUNK_SIZE);
      this.#chunkBuffers[turn] = buffer;
    }
    return buffer;
  }

  /** Remembers an error that does not stop the transfer: the first ones only, however many come. */
  noteError(message: string): void {
    if (this.errors.length < MAX_ERRORS_KEPT) this.errors.push(message);
  }

  /** Tells the peer about an error that does not stop the transfer: `\x01scp: ...\n`. */
  async sendError(message: string): Promise<void> {
    this.noteError(message);
    await this.writer.write(`\x01${oneLine(message)}\n`);
  }

  /**
   * Reads the peer's answer to what was sent: `ok`, or the message of a
   * `\x01` error. A `\x02` error, or anything else, ends the transfer.
   */
  async readResponse(): Promise<{ ok: true } | { ok: false; message: string }> {
    const first = await this.reader.byte();
    if (first === null) throw new ConnectionLost('lost connection');
    if (first === 0) return { ok: true };
    if (first !== 1 && first !== 2) {
      throw new ScpFatalError(`protocol error: unexpected response byte 0x${hex(first)}`);
    }
    const line = await this.reader.readLine(MAX_RECORD_LENGTH);
    if (line.kind === 'eof' || line.kind === 'unterminated') {
      throw new ConnectionLost('lost connection');
    }
    const message = line.kind === 'line' ? line.line.toString('utf8') : 'error message too long';
    if (first === 2) throw new ScpFatalError(message, false);
    this.noteError(message);
    return { ok: false, message };
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** A message made safe for a protocol line: no newline may end it early. */
export function oneLine(message: string): string {
  return message.replaceAll('\r', '\\r').replaceAll('\n', '\\n');
}

const REASONS: Partial<Record<string, string>> = {
  'not-found': 'No such file or directory',
  permission: 'Permission denied',
  exists: 'File exists',
  'not-a-directory': 'Not a directory',
  'is-a-directory': 'Is a directory',
  'not-empty': 'Directory not empty',
  'quota-exceeded': 'Disk quota exceeded',
};

/** The reason an operation failed, in the words of `strerror` where there is one. */
export function reasonOf(err: unknown): string {
  if (err instanceof VfsError) return REASONS[err.code] ?? err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Resolves a path the client named into a virtual path: relative to the
 * user's root, `~` meaning the root. Throws a VfsError for a NUL byte or an
 * overlong path.
 */
export function clientPath(input: string): string {
  const home = input === '~' ? '' : input.startsWith('~/') ? input.slice(2) : input;
  return cleanVirtualPath(home, '/');
}

/** `dir`/`name` for a name already known to hold no separator. */
export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}
