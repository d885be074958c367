import {
  close as closeCb,
  closeSync,
  constants,
  createReadStream,
  createWriteStream,
  fstat as fstatCb,
  fstatSync,
  open as openCb,
  openSync,
  writeSync,
} from 'node:fs';
import { lstat, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';

const MEGABYTE = 1024 * 1024;
/** lumberjack's size when none is given (`MaxSize: 0`). */
const DEFAULT_MAX_SIZE_MB = 100;
const DAY_MS = 24 * 60 * 60 * 1000;
const COMPRESS_SUFFIX = '.gz';
/** lumberjack's backup time format, `2006-01-02T15-04-05.000`, always in UTC here. */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/;

const close = promisify(closeCb);
const fstat = promisify(fstatCb);
const open = promisify(openCb);

export interface RotatingFileOptions {
  /** Size in megabytes (1 MB = 1,048,576 bytes) the file must not exceed; fractions are accepted; 0 = 100 (as lumberjack). */
  readonly maxSizeMB?: number;
  /**
   * The size limit in bytes; overrides `maxSizeMB`. Meant for tests and for
   * embedders that need a limit finer than megabytes.
   */
  readonly maxSizeBytes?: number;
  /** How many rotated files to keep (a file and its `.gz` count once); 0 = all. */
  readonly maxBackups?: number;
  /** Delete rotated files older than this many days, by the time in their names; 0 = no limit. */
  readonly maxAgeDays?: number;
  /** Gzip rotated files (in the background), then delete the plain copy. */
  readonly compress?: boolean;
  /**
   * Receives the failures that must not stop logging: removing or compressing
   * old files, rotating, writing a line (that line is then lost). Defaults to
   * `process.emitWarning`.
   */
  readonly onError?: (error: Error) => void;
  /** The clock, for tests. */
  readonly now?: () => number;
}

/** A rotated file found next to the log file. */
interface Backup {
  readonly name: string;
  /** Its name without `.gz`: a plain file and its compressed copy share it. */
  readonly key: string;
  readonly time: number;
  readonly compressed: boolean;
}

function checkCount(name: string, value: number | undefined): number {
  const v = value ?? 0;
  if (!Number.isFinite(v) || v < 0) {
    throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  }
  return v;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2026-11-28T10-00-00.000`, the UTC time as lumberjack writes it in a backup's name. */
export function backupTimestamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}` +
    `.${pad(d.getUTCMilliseconds(), 3)}`
  );
}

function parseTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const time = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  return backupTimestamp(time) === text ? time : undefined;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * A log file that rotates by size, with the semantics of Go's lumberjack (used
 * by SFTPGo): before a write that would make the file exceed its maximum size,
 * the file is renamed to `<name>-<UTC time>.<ext>` in the same folder and a new
 * one is started; a single write larger than the maximum still goes, alone, to
 * a fresh file. Old backups are then removed (by count and by age) and the
 * others gzipped, in the background.
 *
 * Each `write()` should be a whole line: rotation happens between writes only.
 * Writes are done in order, one at a time, on the event loop: a line goes to
 * the page cache at once. The file is opened by the
 * constructor, which therefore throws at once if it cannot be (a missing
 * folder, for instance). I/O failures after that never make the stream emit
 * `'error'`: they go to `onError`, so that logging survives a full disk.
 */
export class RotatingFileStream extends Writable {
  readonly path: string;
  private readonly maxSize: number;
  private readonly maxBackups: number;
  private readonly maxAgeDays: number;
  private readonly compress: boolean;
  private readonly report: (error: Error) => void;
  private readonly now: () => number;
  private readonly dir: string;
  /** Backups are named `${prefix}${timestamp}${ext}`. */
  private readonly prefix: string;
  private readonly ext: string;
  /** Mode of new files: the one of the file we found, else 0600. */
  private readonly mode: number;

  private fd: number | undefined;
  private size: number;
  /** After a failed rotation: the size it failed at, so the next attempt waits for another full file. */
  private failedRotationSize = 0;
  private lastBackupTime = Number.NEGATIVE_INFINITY;
  /** The cleanup/compression runs, one after the other. */
  private mill: Promise<void> = Promise.resolve();
  private millQueued = false;
  private closing: Promise<void> | undefined;

  constructor(path: string, options: RotatingFileOptions = {}) {
    super({ decodeStrings: true });
    const maxSizeMB = checkCount('maxSizeMB', options.maxSizeMB);
    this.maxSize =
      options.maxSizeBytes !== undefined
        ? checkCount('maxSizeBytes', options.maxSizeBytes)
        : Math.floor((maxSizeMB || DEFAULT_MAX_SIZE_MB) * MEGABYTE);
    if (this.maxSize < 1) throw new RangeError('the maximum log file size must be at least 1 byte');
    this.maxBackups = Math.floor(checkCount('maxBackups', options.maxBackups));
    this.maxAgeDays = checkCount('maxAgeDays', options.maxAgeDays);
    this.compress = options.compress ?? false;
    this.report = options.onError ?? ((error) => process.emitWarning(error));
    this.now = options.now ?? Date.now;

    this.path = path;
    this.dir = dirname(path);
    const name = basename(path);
    this.ext = extname(name);
    this.prefix = `${name.slice(0, name.length - this.ext.length)}-`;

    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    } catch (err) {
      const e = asError(err) as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? `the folder "${this.dir}" does not exist` : e.message;
      throw new Error(`cannot open the log file "${path}": ${why}`, { cause: err });
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new Error('not a regular file');
      this.size = stat.size;
      this.mode = stat.mode & 0o777;
    } catch (err) {
      closeSync(fd);
      throw new Error(`cannot use the log file "${path}": ${asError(err).message}`, {
        cause: err,
      });
    }
    this.fd = fd;
    // As lumberjack on opening: apply the retention rules to what is there.
    this.scheduleMill();
  }

  /** The size limit, in bytes. */
  get maxSizeBytes(): number {
    return this.maxSize;
  }

  /** Ends the stream, then waits until every line is written and the background work is done. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const done = () => resolve();
      if (this.writableFinished || this.destroyed) {
        done();
        return;
      }
      this.once('finish', done);
      this.once('close', done);
      this.end();
    }).then(() => this.idle());
    return this.closing;
  }

  /** Resolves once the cleanup and compression started so far are over. */
  async idle(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.mill;
      await current;
    } while (current !== this.mill);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error) => void) {
    this.writeChunks([chunk]).then(() => callback(), callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (err?: Error | null) => void,
  ) {
    this.writeChunks(chunks.map((c) => c.chunk)).then(() => callback(), callback);
  }

  override _final(callback: (err?: Error | null) => void) {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) {
      callback();
      return;
    }
    close(fd).then(
      () => callback(),
      (err: unknown) => {
        this.report(asError(err));
        callback();
      },
    );
  }

  override _destroy(error: Error | null, callback: (err?: Error | null) => void) {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Nothing more to do with it.
      }
    }
    callback(error);
  }

  /** Writes the chunks in order, in as few writes as the size limit allows. */
  private async writeChunks(chunks: readonly Buffer[]): Promise<void> {
    let batch: Buffer[] = [];
    let batchSize = 0;
    for (const chunk of chunks) {
      const size = this.size - this.failedRotationSize + batchSize;
      if (size > 0 && size + chunk.length > this.maxSize) {
        await this.flush(batch, batchSize);
        batch = [];
        batchSize = 0;
        await this.rotate();
      }
      batch.push(chunk);
      batchSize += chunk.length;
    }
    await this.flush(batch, batchSize);
  }

  private async flush(batch: Buffer[], length: number): Promise<void> {
    if (length === 0) return;
    try {
      const fd = await this.openFd();
      let data = batch.length === 1 ? batch[0]! : Buffer.concat(batch, length);
      while (data.length > 0) {
        // appended to the page cache in microseconds, where a round trip to
        // the thread pool would cost more than the write, once per transfer
        const bytesWritten = writeSync(fd, data);
        this.size += bytesWritten;
        data = data.subarray(bytesWritten);
      }
    } catch (err) {
      this.report(
        new Error(`cannot write to the log file "${this.path}": ${asError(err).message}`, {
          cause: err,
        }),
      );
    }
  }

  private async openFd(): Promise<number> {
    if (this.fd === undefined) {
      const fd = await open(this.path, 'a', this.mode);
      try {
        this.size = (await fstat(fd)).size;
      } catch (err) {
        await close(fd).catch(() => {});
        throw err;
      }
      this.fd = fd;
    }
    return this.fd;
  }

  /** Renames the current file to a backup and starts a new one. */
  private async rotate(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      try {
        await close(fd);
      } catch (err) {
        this.report(asError(err));
      }
    }
    try {
      const backup = await this.newBackupPath();
      await rename(this.path, backup);
      this.size = 0;
      this.failedRotationSize = 0;
    } catch (err) {
      // Keep appending to the same file, and try again when it has grown by another maximum size.
      this.failedRotationSize = this.size;
      this.report(
        new Error(`cannot rotate the log file "${this.path}": ${asError(err).message}`, {
          cause: err,
        }),
      );
    }
    this.scheduleMill();
  }

  /** A backup name that is not taken, with a time after the previous backup's, so none is ever overwritten. */
  private async newBackupPath(): Promise<string> {
    let time = Math.max(this.now(), this.lastBackupTime + 1);
    for (;;) {
      const path = join(this.dir, `${this.prefix}${backupTimestamp(time)}${this.ext}`);
      if (!(await exists(path)) && !(await exists(path + COMPRESS_SUFFIX))) {
        this.lastBackupTime = time;
        return path;
      }
      time += 1;
    }
  }

  /** Queues a cleanup/compression run, unless one is already waiting to start. */
  private scheduleMill(): void {
    if (this.millQueued) return;
    if (this.maxBackups === 0 && this.maxAgeDays === 0 && !this.compress) return;
    this.millQueued = true;
    this.mill = this.mill.then(async () => {
      this.millQueued = false;
      try {
        await this.runMill();
      } catch (err) {
        this.report(asError(err));
      }
    });
  }

  private async listBackups(): Promise<Backup[]> {
    const backups: Backup[] = [];
    for (const entry of await readdir(this.dir, { withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.startsWith(this.prefix)) continue;
      const compressed = entry.name.endsWith(COMPRESS_SUFFIX);
      const key = compressed ? entry.name.slice(0, -COMPRESS_SUFFIX.length) : entry.name;
      if (!key.endsWith(this.ext)) continue;
      const time = parseTimestamp(
        key.slice(this.prefix.length, key.length - this.ext.length || undefined),
      );
      if (time === undefined) continue;
      backups.push({ name: entry.name, key, time, compressed });
    }
    // Newest first.
    return backups.sort((a, b) => b.time - a.time || (a.name < b.name ? 1 : -1));
  }

  /** lumberjack's "mill": drop the backups beyond the count or too old, compress the rest. */
  private async runMill(): Promise<void> {
    let backups = await this.listBackups();
    const remove: Backup[] = [];
    if (this.maxBackups > 0) {
      const kept = new Set<string>();
      backups = backups.filter((b) => {
        if (kept.has(b.key) || kept.size < this.maxBackups) {
          kept.add(b.key);
          return true;
        }
        remove.push(b);
        return false;
      });
    }
    if (this.maxAgeDays > 0) {
      const cutoff = this.now() - this.maxAgeDays * DAY_MS;
      backups = backups.filter((b) => {
        if (b.time >= cutoff) return true;
        remove.push(b);
        return false;
      });
    }
    for (const b of remove) {
      try {
        await unlink(join(this.dir, b.name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.report(
            new Error(`cannot remove the old log file "${b.name}": ${asError(err).message}`, {
              cause: err,
            }),
          );
        }
      }
    }
    if (this.compress) {
      for (const b of backups) {
        if (b.compressed) continue;
        try {
          await this.compressFile(join(this.dir, b.name));
        } catch (err) {
          this.report(
            new Error(`cannot compress the log file "${b.name}": ${asError(err).message}`, {
              cause: err,
            }),
          );
        }
      }
    }
  }

  /** Gzips `src` to `src.gz`, flushed to disk, and only then removes `src`. */
  private async compressFile(src: string): Promise<void> {
    const dst = src + COMPRESS_SUFFIX;
    const { mode } = await lstat(src);
    try {
      await pipeline(
        createReadStream(src),
        createGzip(),
        createWriteStream(dst, { mode: mode & 0o777, flush: true }),
      );
    } catch (err) {
      await unlink(dst).catch(() => {});
      throw err;
    }
    await unlink(src);
  }
}
