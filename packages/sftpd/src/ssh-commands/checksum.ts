import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { cleanVirtualPath, type Fs, isDirectory, S_IFMT, S_IFREG, VfsError } from '@sftpgo/vfs';
import type { DirectoryPermissions } from '../directory-permissions.js';

/** The digest commands and the hash each computes. */
export const CHECKSUM_COMMANDS = {
  md5sum: 'md5',
  sha1sum: 'sha1',
  sha256sum: 'sha256',
  sha384sum: 'sha384',
  sha512sum: 'sha512',
} as const;

export type ChecksumCommand = keyof typeof CHECKSUM_COMMANDS;

const CHUNK = 256 * 1024;

/** What the command prints for a file, as coreutils does, a name with `\` or a newline escaped. */
function checksumLine(hex: string, name: string): string {
  if (!/[\\\n]/.test(name)) return `${hex}  ${name}\n`;
  return `\\${hex}  ${name.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}\n`;
}

function reason(err: unknown): string {
  if (!(err instanceof VfsError)) return 'Input/output error';
  switch (err.code) {
    case 'not-found':
      return 'No such file or directory';
    case 'permission':
    case 'invalid-path':
      return 'Permission denied';
    case 'is-a-directory':
      return 'Is a directory';
    default:
      return 'Input/output error';
  }
}

async function hashFile(fs: Fs, path: string, algorithm: string): Promise<string> {
  const st = await fs.stat(path);
  if (isDirectory(st)) throw new VfsError('is-a-directory', 'is a directory', path);
  // opening a FIFO or a device could block the server's file I/O, or read the host's disks
  if ((st.mode & S_IFMT) !== S_IFREG) throw new VfsError('permission', 'not a regular file', path);
  const handle = await fs.open(path, { read: true });
  try {
    const hash = createHash(algorithm);
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (let position = 0; ; ) {
      const n = await handle.read(buffer, 0, CHUNK, position);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      position += n;
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

async function hashStream(input: Readable, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  // Not `for await`: its end destroys the stream, the SSH channel the answer goes to.
  for await (const chunk of input.iterator({ destroyOnReturn: false }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * `md5sum`, `sha1sum`, `sha256sum`, `sha384sum`, `sha512sum` as coreutils
 * print them, computed here, so that they work on every storage: each file
 * named (relative names from `/`), or the standard input without names. A
 * file is read only where the user may list, links followed inside the
 * home; `fs` must follow no link itself (see PolicyFs).
 * @returns the exit status: 0, or 1 when a file could not be read
 */
export async function runChecksum(
  command: ChecksumCommand,
  args: readonly string[],
  io: { readonly input: Readable; readonly output: Writable; readonly errors: Writable },
  fs: Fs,
  permissions: DirectoryPermissions,
): Promise<number> {
  const algorithm = CHECKSUM_COMMANDS[command];
  const names = args[0] === '--' ? args.slice(1) : args;
  const option = args[0] !== '--' ? names.find((a) => a.startsWith('-') && a !== '-') : undefined;
  if (option !== undefined) {
    io.errors.write(`${command}: unsupported option ${JSON.stringify(option)}\n`);
    return 1;
  }
  if (names.length === 0) {
    io.output.write(checksumLine(await hashStream(io.input, algorithm), '-'));
    return 0;
  }
  let status = 0;
  for (const name of names) {
    try {
      // checked where the name leads, and read there: the storage follows no link
      const path = await fs.realpath(cleanVirtualPath(name));
      if (!permissions.has('list', posix.dirname(path))) {
        throw new VfsError('permission', 'permission denied', path);
      }
      io.output.write(checksumLine(await hashFile(fs, path, algorithm), name));
    } catch (err) {
      io.errors.write(`${command}: ${name}: ${reason(err)}\n`);
      status = 1;
    }
  }
  return status;
}
