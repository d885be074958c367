import { SSH_FX_FAILURE } from './constants.js';
import { SftpStatusError } from './errors.js';
import type { SftpDirectory, SftpFile } from './handler.js';

export type HandleTarget =
  | { readonly kind: 'file'; readonly file: SftpFile; readonly path: string }
  | { readonly kind: 'dir'; readonly dir: SftpDirectory; readonly path: string };

/** An open handle and the operations running on it, which closing it waits for. */
export type OpenHandle = HandleTarget & { readonly pending: Set<Promise<unknown>> };
export type OpenFile = Extract<OpenHandle, { kind: 'file' }>;
export type OpenDirectory = Extract<OpenHandle, { kind: 'dir' }>;

/**
 * The handles of one session. A handle on the wire is 4 bytes: a counter that
 * is never reused, so that a stale handle can never reach a newer file.
 */
export class HandleTable {
  readonly #entries = new Map<number, OpenHandle>();
  readonly #max: number;
  #next = 1;

  constructor(max: number) {
    this.#max = max;
  }

  get max(): number {
    return this.#max;
  }

  /** Throws before opening anything when the session holds too many handles. */
  checkRoom(): void {
    if (this.#entries.size >= this.#max) {
      throw new SftpStatusError(SSH_FX_FAILURE, `too many open handles (${this.#max})`);
    }
  }

  add(target: HandleTarget): Buffer {
    const n = this.#next++;
    // not `{ ...target, pending }`: V8 builds an object literal that starts
    // with a spread and adds to it on a slow path, once per OPEN here
    this.#entries.set(n, Object.assign({ pending: new Set<Promise<unknown>>() }, target));
    const handle = Buffer.allocUnsafe(4);
    handle.writeUInt32BE(n >>> 0);
    return handle;
  }

  #get(handle: Buffer): OpenHandle {
    const entry = handle.length === 4 ? this.#entries.get(handle.readUInt32BE(0)) : undefined;
    if (!entry) throw new SftpStatusError(SSH_FX_FAILURE, 'invalid handle');
    return entry;
  }

  file(handle: Buffer): OpenFile {
    const entry = this.#get(handle);
    if (entry.kind !== 'file') throw new SftpStatusError(SSH_FX_FAILURE, 'not a file handle');
    return entry;
  }

  dir(handle: Buffer): OpenDirectory {
    const entry = this.#get(handle);
    if (entry.kind !== 'dir') throw new SftpStatusError(SSH_FX_FAILURE, 'not a directory handle');
    return entry;
  }

  /** Records an operation on a handle, so that closing the handle waits for it. */
  track<T>(entry: OpenHandle, op: Promise<T>): Promise<T> {
    entry.pending.add(op);
    const done = () => entry.pending.delete(op);
    op.then(done, done);
    return op;
  }

  /** Forgets the handle at once, then closes it once its operations are done. */
  async close(handle: Buffer): Promise<void> {
    const entry = this.#get(handle);
    this.#entries.delete(handle.readUInt32BE(0));
    await closeEntry(entry);
  }

  /** Closes what the client left open when its session ended: files are aborted. */
  async closeAll(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.allSettled(entries.map((e) => closeEntry(e, true)));
  }
}

async function closeEntry(entry: OpenHandle, aborted = false): Promise<void> {
  await Promise.allSettled(entry.pending);
  if (entry.kind === 'dir') await entry.dir.close();
  else if (aborted && entry.file.abort) await entry.file.abort();
  else await entry.file.close();
}
