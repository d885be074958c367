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
} from './session-events.js';

/** A transfer's live counters; the connection list reads them. */
class TransferState implements ActiveTransfer {
  readonly operation: 'upload' | 'download';
  readonly path: string;
  readonly startTime = Date.now();
  bytes = 0;
  lastActivity = this.startTime;

  constructor(operation: 'upload' | 'download', path: string) {
    this.operation = operation;
    this.path = path;
  }

  count(n: number): void {
    this.bytes += n;
    this.lastActivity = Date.now();
  }
}

class TransferFile extends ForwardingFileHandle {
  readonly #state: TransferState;
  readonly #finish: (state: TransferState, completed: boolean) => void;
  #failed = false;

  constructor(
    handle: FileHandle,
    state: TransferState,
    finish: (state: TransferState, completed: boolean) => void,
  ) {
    super(handle);
    this.#state = state;
    this.#finish = finish;
  }

  // try/catch in place, not a helper: these run once per packet of every transfer
  override async read(buffer: Buffer, offset: number, length: number, position: number) {
    let n: number;
    try {
      n = await this.inner.read(buffer, offset, length, position);
    } catch (err) {
      this.#failed = true;
      throw err;
    }
    this.#state.count(n);
    return n;
  }

  override async write(buffer: Buffer, offset: number, length: number, position: number) {
    let n: number;
    try {
      n = await this.inner.write(buffer, offset, length, position);
    } catch (err) {
      // a write refused (quota, disk full) leaves a partial file: no completed transfer
      this.#failed = true;
      throw err;
    }
    this.#state.count(n);
    return n;
  }

  override async close(): Promise<void> {
    let closed = false;
    try {
      await this.inner.close();
      closed = true;
    } finally {
      this.#finish(this.#state, closed && !this.#failed);
    }
  }

  override async abort(): Promise<void> {
    try {
      await super.abort();
    } finally {
      this.#finish(this.#state, false);
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
  /** The transfers running now. */
  readonly active = new Set<ActiveTransfer>();

  constructor(fs: Fs, context: SessionContext, emit: (event: SessionEvent) => void) {
    super(fs);
    this.#context = context;
    this.#emit = emit;
  }

  #command(command: CommandName, path: string, details: Partial<CommandEvent> = {}): void {
    this.#emit({ ...this.#context, ...details, type: 'command', command, path });
  }

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    const handle = await this.inner.open(path, flags, mode);
    const upload = flags.write || flags.append || flags.create || flags.truncate;
    const state = new TransferState(upload ? 'upload' : 'download', path);
    this.active.add(state);
    return new TransferFile(handle, state, (finished, completed) => {
      this.active.delete(finished);
      this.#emit({
        ...this.#context,
        type: 'transfer',
        operation: finished.operation,
        path,
        bytes: finished.bytes,
        elapsedMs: Date.now() - finished.startTime,
        completed,
      });
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
    if (attrs.mode !== undefined) this.#command('Chmod', path, { mode: attrs.mode });
    if (attrs.uid !== undefined || attrs.gid !== undefined) {
      this.#command('Chown', path, { uid: attrs.uid ?? -1, gid: attrs.gid ?? -1 });
    }
    if (attrs.atimeMs !== undefined || attrs.mtimeMs !== undefined) {
      this.#command('Chtimes', path, { atimeMs: attrs.atimeMs, mtimeMs: attrs.mtimeMs });
    }
  }
}
