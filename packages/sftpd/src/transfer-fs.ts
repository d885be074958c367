import {
  type FileHandle,
  ForwardingFileHandle,
  ForwardingFs,
  type Fs,
  type OpenFlags,
  type SetStat,
} from '@sftpgo/vfs';
import type {
  ActiveTransfer,
  CommandEvent,
  CommandName,
  SessionContext,
  SessionEvent,
  TransferEvent,
} from './session-events.js';

/** A transfer's live counters; the connection list reads them. */
class TransferState implements ActiveTransfer {
  readonly operation: 'upload' | 'download';
  readonly path: string;
  readonly startTime = Date.now();
  bytes = 0;
  lastActivity = this.startTime;
  /**
   * An upload into a file that started empty (truncated or new, not
   * appended to): where the furthest write ended, which is then the file's
   * size. Undefined when only the storage can tell the size.
   */
  writtenSize: number | undefined;

  constructor(operation: 'upload' | 'download', path: string, startsEmpty: boolean) {
    this.operation = operation;
    this.path = path;
    this.writtenSize = startsEmpty ? 0 : undefined;
  }

  count(n: number): void {
    this.bytes += n;
    this.lastActivity = Date.now();
  }

  /** Counts a write of `n` bytes at `position`. */
  wrote(position: number, n: number): void {
    this.count(n);
    if (this.writtenSize !== undefined && position + n > this.writtenSize) {
      this.writtenSize = position + n;
    }
  }
}

/** How a transfer ended: completed, or why not; a completed upload's file size. */
type TransferEnd =
  | { readonly completed: true; readonly fileSize?: number }
  | { readonly completed: false; readonly error: string };

/** Reports a transfer's end; `afterReply` once the reply to its CLOSE has been written. */
type Finish = (state: TransferState, end: TransferEnd, afterReply: boolean) => void;

class TransferFile extends ForwardingFileHandle {
  readonly #state: TransferState;
  readonly #finish: Finish;
  /** A download: the file's size at open, which it must reach to be complete. */
  readonly #expectedSize: number | undefined;
  /** A download: where the furthest read ended, so that a resumed download completes too. */
  #readEnd = 0;
  #error: string | undefined;

  constructor(
    handle: FileHandle,
    state: TransferState,
    expectedSize: number | undefined,
    finish: Finish,
  ) {
    super(handle);
    this.#state = state;
    this.#expectedSize = expectedSize;
    this.#finish = finish;
  }

  // try/catch in place, not a helper: these run once per packet of every transfer
  override async read(buffer: Buffer, offset: number, length: number, position: number) {
    let n: number;
    try {
      n = await this.inner.read(buffer, offset, length, position);
    } catch (err) {
      this.#error ??= (err as Error).message;
      throw err;
    }
    this.#state.count(n);
    if (n > 0 && position + n > this.#readEnd) this.#readEnd = position + n;
    return n;
  }

  override async write(buffer: Buffer, offset: number, length: number, position: number) {
    let n: number;
    try {
      n = await this.inner.write(buffer, offset, length, position);
    } catch (err) {
      // a write refused (quota, disk full) leaves a partial file: no completed transfer
      this.#error ??= (err as Error).message;
      throw err;
    }
    this.#state.wrote(position, n);
    return n;
  }

  override setstat(attrs: SetStat): Promise<void> {
    // a truncation or extension: the size is the storage's to tell
    if (attrs.size !== undefined) this.#state.writtenSize = undefined;
    return super.setstat(attrs);
  }

  override async close(): Promise<void> {
    const expected = this.#expectedSize;
    if (this.#error === undefined && expected !== undefined && this.#readEnd < expected) {
      this.#error = `incomplete download: ${this.#state.bytes}/${expected} bytes transferred`;
    }
    let end: TransferEnd = { completed: false, error: this.#error ?? 'the file was not closed' };
    try {
      const fileSize = this.#state.operation === 'upload' ? await this.#uploadedSize() : undefined;
      await this.inner.close();
      if (this.#error === undefined) end = { completed: true, fileSize };
    } catch (err) {
      if (this.#error === undefined) end = { completed: false, error: (err as Error).message };
      throw err;
    } finally {
      this.#finish(this.#state, end, true);
    }
  }

  /**
   * The file's size: known from the writes into a file that started empty,
   * otherwise read before an atomic upload moves the file to its path.
   */
  async #uploadedSize(): Promise<number | undefined> {
    if (this.#error !== undefined) return undefined;
    const written = this.#state.writtenSize;
    if (written !== undefined) return written;
    return this.inner.stat().then(
      (st) => st.size,
      () => undefined,
    );
  }

  override async abort(): Promise<void> {
    try {
      await super.abort();
    } finally {
      this.#finish(
        this.#state,
        {
          completed: false,
          error: this.#error ?? 'the connection ended with the file open',
        },
        false,
      );
    }
  }
}

/**
 * Reports what a session does: each transfer while it runs (for the list of
 * connections) and when it ends, and each command that succeeds, as events
 * carrying the fields of the spec's transfer and command logs.
 */
export class TransferFs extends ForwardingFs {
  readonly #context: SessionContext;
  readonly #emit: (event: SessionEvent) => void;
  readonly #endsAfterReply: boolean;
  readonly #active = new Set<TransferState>();

  /**
   * @param endsAfterReply the protocol answers each close once it has
   *   settled (SFTP): the end of a transfer is then reported right after that
   *   answer is written, rather than before
   */
  constructor(
    fs: Fs,
    context: SessionContext,
    emit: (event: SessionEvent) => void,
    endsAfterReply = false,
  ) {
    super(fs);
    this.#context = context;
    this.#emit = emit;
    this.#endsAfterReply = endsAfterReply;
  }

  /** The transfers running now. */
  get active(): ReadonlySet<ActiveTransfer> {
    return this.#active;
  }

  #command(command: CommandName, path: string, details: Partial<CommandEvent> = {}): void {
    // Object.assign rather than a spread: see the transfer event in open()
    this.#emit(
      Object.assign({}, this.#context, details, { type: 'command', command, path } as const),
    );
  }

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    const handle = await this.inner.open(path, flags, mode);
    const upload = flags.write || flags.append || flags.create || flags.truncate;
    // as the reference: a download that stops before the size at open failed
    const expectedSize = upload
      ? undefined
      : (handle.sizeAtOpen ??
        (await handle.stat().then(
          (st) => st.size,
          () => undefined,
        )));
    // appends land after what the file held, wherever the client writes them
    const startsEmpty = Boolean(
      !flags.append && (flags.truncate || (flags.create && flags.exclusive)),
    );
    const state = new TransferState(upload ? 'upload' : 'download', path, startsEmpty);
    this.#active.add(state);
    return new TransferFile(handle, state, expectedSize, (finished, end, afterReply) => {
      this.#active.delete(finished);
      // Object.assign, not an object literal that starts with a spread: Node
      // 20's V8 builds such an object, once more properties follow the
      // spread, on a slow path (microseconds a transfer) that leaves garbage
      // only a full collection takes (docs/development.md).
      const event: TransferEvent = Object.assign(
        {},
        this.#context,
        {
          type: 'transfer',
          operation: finished.operation,
          path,
          bytes: finished.bytes,
          elapsedMs: Date.now() - finished.startTime,
        } as const,
        end,
      );
      // The client waits for the reply to its CLOSE, and a small file's
      // transfer is mostly such waits: the log line, the actions and the
      // metrics follow the reply (sent before the event loop's next turn)
      // rather than hold it back. An abort is told at once, before the end
      // of its session.
      if (afterReply && this.#endsAfterReply) setImmediate(this.#emit, event);
      else this.#emit(event);
    });
  }

  override async mkdir(path: string, mode?: number): Promise<void> {
    await this.inner.mkdir(path, mode);
    this.#command('Mkdir', path);
  }

  override async rmdir(path: string): Promise<void> {
    await this.inner.rmdir(path);
    this.#command('Rmdir', path);
  }

  override async remove(path: string): Promise<void> {
    // the size goes to the delete action; a file that cannot be stat'ed fails the removal too
    const { size } = await this.inner.lstat(path);
    await this.inner.remove(path);
    this.#command('Remove', path, { size });
  }

  override async rename(from: string, to: string): Promise<void> {
    await this.inner.rename(from, to);
    this.#command('Rename', from, { targetPath: to });
  }

  override async symlink(target: string, path: string): Promise<void> {
    await this.inner.symlink(target, path);
    this.#command('Symlink', target, { targetPath: path });
  }

  override async setstat(
    path: string,
    attrs: SetStat,
    options: { followLinks: boolean },
  ): Promise<void> {
    await this.inner.setstat(path, attrs, options);
    if (attrs.size !== undefined) {
      // an upload to that path, truncated or extended under it: the storage tells its size
      for (const t of this.#active) if (t.path === path) t.writtenSize = undefined;
    }
    if (attrs.mode !== undefined) this.#command('Chmod', path, { mode: attrs.mode });
    if (attrs.uid !== undefined || attrs.gid !== undefined) {
      this.#command('Chown', path, { uid: attrs.uid ?? -1, gid: attrs.gid ?? -1 });
    }
    if (attrs.atimeMs !== undefined || attrs.mtimeMs !== undefined) {
      this.#command('Chtimes', path, { atimeMs: attrs.atimeMs, mtimeMs: attrs.mtimeMs });
    }
  }
}
