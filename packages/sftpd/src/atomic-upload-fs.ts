import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import {
  exists,
  type FileHandle,
  ForwardingFileHandle,
  ForwardingFs,
  type Fs,
  type OpenFlags,
  VfsError,
} from '@sftpgo/vfs';
import type { UploadJournal } from './upload-journal.js';

/**
 * How uploads reach their path, as the spec's `upload_mode`: 0 writes in
 * place; 1 writes a temporary file renamed onto the path when the upload
 * completes and deleted when it is cut; 2 as 1, but a cut upload is renamed
 * onto the path too, so that the client can resume it.
 */
export type UploadMode = 0 | 1 | 2;

/** The temporary name of an upload to `path`, in the same directory. */
function temporaryPath(path: string): string {
  const id = randomBytes(8).toString('hex');
  return posix.join(posix.dirname(path), `.sftpgo-upload.${id}.${posix.basename(path)}`);
}

/** A file being uploaded under a temporary name. */
class AtomicUpload extends ForwardingFileHandle {
  readonly #fs: Fs;
  readonly #temporary: string;
  readonly #target: string;
  readonly #keepCut: boolean;
  /** Ends the upload's note in the journal, once it is finished one way or the other. */
  readonly #ended: () => void;

  constructor(
    fs: Fs,
    handle: FileHandle,
    upload: { readonly temporary: string; readonly target: string; readonly keepCut: boolean },
    ended: () => void,
  ) {
    super(handle);
    this.#fs = fs;
    this.#temporary = upload.temporary;
    this.#target = upload.target;
    this.#keepCut = upload.keepCut;
    this.#ended = ended;
  }

  override async close(): Promise<void> {
    try {
      await this.#finish(true);
    } finally {
      this.#ended();
    }
  }

  override async abort(): Promise<void> {
    try {
      await this.#finish(this.#keepCut);
    } finally {
      this.#ended();
    }
  }

  async #finish(publish: boolean): Promise<void> {
    try {
      await this.inner.close();
      if (publish) {
        await this.#fs.rename(this.#temporary, this.#target);
        return;
      }
    } catch (err) {
      await this.#fs.remove(this.#temporary).catch(() => {});
      throw err;
    }
    await this.#fs.remove(this.#temporary);
  }
}

/**
 * Applies an upload mode: in modes 1 and 2 a new upload, or one that
 * replaces a file, is written under a temporary name in the same directory,
 * so that the path never holds a partial file. Writing into an existing
 * file without truncating it (a resumed upload) stays in place.
 */
export class AtomicUploadFs extends ForwardingFs {
  readonly #mode: UploadMode;
  readonly #journal: { readonly journal: UploadJournal; readonly username: string } | undefined;

  /**
   * @param journal where each upload under a temporary name is noted while
   *   it runs, so that one a killed process leaves is finished later (see
   *   `recoverUploads`); none when absent
   */
  constructor(
    fs: Fs,
    mode: UploadMode,
    journal?: { readonly journal: UploadJournal; readonly username: string },
  ) {
    super(fs);
    this.#mode = mode;
    this.#journal = journal;
  }

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    const writes = flags.write || flags.append;
    if (this.#mode === 0 || !writes || flags.append) return this.inner.open(path, flags, mode);
    const present = await exists(this.inner, path);
    if (present && !flags.truncate) return this.inner.open(path, flags, mode);
    if (!present && !flags.create) return this.inner.open(path, flags, mode); // fails as it should
    if (present && flags.create && flags.exclusive) {
      throw new VfsError('exists', `open ${JSON.stringify(path)}: file already exists`, path);
    }
    const temporary = temporaryPath(path);
    const handle = await this.inner.open(
      temporary,
      { ...flags, create: true, exclusive: true },
      mode,
    );
    const upload = { temporary, target: path, keepCut: this.#mode === 2 };
    const noted = this.#journal;
    let id: string;
    try {
      id = noted ? noted.journal.begin({ ...upload, username: noted.username }) : '';
    } catch (err) {
      await handle.close().catch(() => {});
      await this.inner.remove(temporary).catch(() => {});
      throw err;
    }
    return new AtomicUpload(this.inner, handle, upload, () => noted?.journal.end(id));
  }
}
