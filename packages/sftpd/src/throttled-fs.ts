import {
  type FileHandle,
  ForwardingFileHandle,
  ForwardingFs,
  type Fs,
  type OpenFlags,
} from '@sftpgo/vfs';
import { RateLimiter } from './rate-limiter.js';

/** The spec's bandwidth limits in KB/s, where 1 KB is 1000 bytes; 0 is unlimited. */
export interface Bandwidth {
  readonly upload: number;
  readonly download: number;
}

class ThrottledFile extends ForwardingFileHandle {
  readonly #upload: RateLimiter | undefined;
  readonly #download: RateLimiter | undefined;

  constructor(handle: FileHandle, upload?: RateLimiter, download?: RateLimiter) {
    super(handle);
    this.#upload = upload;
    this.#download = download;
  }

  override async read(buffer: Buffer, offset: number, length: number, position: number) {
    const n = await this.inner.read(buffer, offset, length, position);
    await this.#download?.take(n);
    return n;
  }

  override async write(buffer: Buffer, offset: number, length: number, position: number) {
    await this.#upload?.take(length);
    return this.inner.write(buffer, offset, length, position);
  }
}

/**
 * Holds a session's transfers to the user's bandwidth limits. The limits are
 * shared by every file the session has open.
 */
export class ThrottledFs extends ForwardingFs {
  readonly #upload: RateLimiter | undefined;
  readonly #download: RateLimiter | undefined;

  constructor(fs: Fs, bandwidth: Bandwidth) {
    super(fs);
    if (bandwidth.upload > 0) this.#upload = new RateLimiter(bandwidth.upload * 1000);
    if (bandwidth.download > 0) this.#download = new RateLimiter(bandwidth.download * 1000);
  }

  /** Whether `user` has a bandwidth limit: without one, sessions need no such layer. */
  static applies(user: { readonly upload_bandwidth: number; readonly download_bandwidth: number }) {
    return user.upload_bandwidth > 0 || user.download_bandwidth > 0;
  }

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    const handle = await this.inner.open(path, flags, mode);
    if (!this.#upload && !this.#download) return handle;
    return new ThrottledFile(handle, this.#upload, this.#download);
  }
}
