import { posix } from 'node:path';
import { VfsError } from './errors.js';
import { type Fs, isDirectory, S_IFMT, S_IFREG } from './fs.js';

/** What the files under a directory take: regular files and their bytes. */
export interface Usage {
  readonly size: number;
  readonly files: number;
}

/** Entries that went away while the walk reached them. */
function vanished(err: unknown): boolean {
  return err instanceof VfsError && (err.code === 'not-found' || err.code === 'not-a-directory');
}

/**
 * Counts the regular files under `dir` (the root by default) and adds up
 * their sizes, as a quota scan does. Symbolic links are neither counted nor
 * followed; what is removed during the walk is skipped, a missing `dir`
 * included (0 files of 0 bytes).
 * @throws {VfsError} when a directory cannot be read (permission denied)
 *
 * @example
 * const { size, files } = await scanUsage(await OsFs.create('/srv/sftp/alice'));
 */
export async function scanUsage(fs: Fs, dir = '/'): Promise<Usage> {
  let size = 0;
  let files = 0;
  const pending = [dir];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    let handle: Awaited<ReturnType<Fs['opendir']>>;
    try {
      handle = await fs.opendir(path);
    } catch (err) {
      if (vanished(err)) continue;
      throw err;
    }
    try {
      for (let page = await handle.read(); page !== null; page = await handle.read()) {
        for (const { name, stat } of page) {
          if ((stat.mode & S_IFMT) === S_IFREG) {
            size += stat.size;
            files++;
          } else if (isDirectory(stat)) {
            pending.push(posix.join(path, name));
          }
        }
      }
    } catch (err) {
      if (!vanished(err)) throw err;
    } finally {
      await handle.close();
    }
  }
  return { size, files };
}
