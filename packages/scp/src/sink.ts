import { type FileHandle, type Fs, isDirectory, type SetStat, VfsError } from '@sftpgo/vfs';
import {
  CHUNK_SIZE,
  clientPath,
  joinPath,
  MAX_RECORD_LENGTH,
  MODE_MASK,
  OK,
  reasonOf,
  type ScpContext,
  ScpFatalError,
} from './common.js';
import { ConnectionLost } from './io.js';

// The receiving side (`scp -t`): files and directories sent by the client
// are written below the target.

interface Times {
  readonly atimeMs: number;
  readonly mtimeMs: number;
}

interface Header {
  readonly type: 'C' | 'D';
  readonly mode: number;
  readonly size: number;
  readonly name: Buffer;
}

interface OpenDirectory {
  readonly path: string;
  readonly mode: number;
  readonly times: Times | undefined;
}

const C = 0x43;
const D = 0x44;
const E = 0x45;
const T = 0x54;
const SPACE = 0x20;
/** Seconds beyond which a time is ignored, as OpenSSH ignores what `time_t` cannot hold. */
const MAX_TIME_SECONDS = 8_640_000_000_000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

/** A printable excerpt of a record, for error messages. */
function excerpt(line: Buffer): string {
  const text = line.subarray(0, 40).toString('latin1');
  return JSON.stringify(text + (line.length > 40 ? '...' : ''));
}

/** Parses the digits at `offset`; the number and where they stop. */
function digitsAt(line: Buffer, offset: number): { value: string; end: number } {
  let end = offset;
  while (isDigit(line[end])) end++;
  return { value: line.subarray(offset, end).toString('latin1'), end };
}

/** `C<mode> <size> <name>` or `D<mode> 0 <name>`; a malformed one ends the transfer. */
function parseHeader(line: Buffer): Header {
  const type = line[0] === C ? 'C' : 'D';
  let mode = 0;
  for (let i = 1; i <= 4; i++) {
    const b = line[i];
    if (b === undefined || b < 0x30 || b > 0x37) {
      throw new ScpFatalError(`protocol error: bad mode in ${excerpt(line)}`);
    }
    mode = mode * 8 + (b - 0x30);
  }
  if (line[5] !== SPACE)
    throw new ScpFatalError(`protocol error: mode not delimited in ${excerpt(line)}`);
  const size = digitsAt(line, 6);
  if (size.value === '')
    throw new ScpFatalError(`protocol error: size not present in ${excerpt(line)}`);
  const value = Number(size.value);
  if (value > Number.MAX_SAFE_INTEGER) {
    throw new ScpFatalError(`protocol error: size out of range in ${excerpt(line)}`);
  }
  if (line[size.end] !== SPACE) {
    throw new ScpFatalError(`protocol error: size not delimited in ${excerpt(line)}`);
  }
  return { type, mode, size: value, name: line.subarray(size.end + 1) };
}

/** `T<mtime> <usec> <atime> <usec>`; times out of range are ignored, as OpenSSH does. */
function parseTimes(line: Buffer): Times | undefined {
  const text = line.toString('latin1');
  const m = /^T(\d{1,20}) (\d{1,6}) (\d{1,20}) (\d{1,6})$/.exec(text);
  if (!m) throw new ScpFatalError(`protocol error: malformed times record ${excerpt(line)}`);
  const [mtime, mtimeUsec, atime, atimeUsec] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
  ];
  if (mtime > MAX_TIME_SECONDS || atime > MAX_TIME_SECONDS) return undefined;
  return {
    mtimeMs: mtime * 1000 + Math.floor(mtimeUsec / 1000),
    atimeMs: atime * 1000 + Math.floor(atimeUsec / 1000),
  };
}

/** The name of a received entry, or why it is refused: it must name one entry of the target. */
function checkName(raw: Buffer): { name: string } | { refused: string } {
  let name: string;
  try {
    name = utf8.decode(raw);
  } catch {
    return { refused: `unexpected filename: ${excerpt(raw)} is not UTF-8` };
  }
  if (
    name === '' ||
    name === '.' ||
    name === '..' ||
    name.includes('/') ||
    name.includes('\\') ||
    name.includes('\0')
  ) {
    return { refused: `unexpected filename: ${JSON.stringify(name)}` };
  }
  return { name };
}

/** Closes a file whose upload failed, so that no partial file is left unless the fs keeps it. */
async function abortUpload(fs: Fs, handle: FileHandle, path: string): Promise<void> {
  if (handle.abort) {
    await handle.abort().catch(() => {});
    return;
  }
  await handle.close().catch(() => {});
  await fs.remove(path).catch(() => {});
}

async function writeFully(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const n = await handle.write(data, done, data.length - done, position + done);
    if (n <= 0) throw new Error('short write');
    done += n;
  }
}

/**
 * Reads a file's `size` bytes from the client and writes them to `handle`,
 * a {@link CHUNK_SIZE} at a time while the next one arrives: an SSH channel
 * gives 32 KiB at a time, and a write for each would cost eight round trips
 * to the thread pool where one does. After a failed write, `onWriteError`
 * runs and what follows is read and dropped; the error is returned.
 */
async function receiveData(
  ctx: ScpContext,
  handle: FileHandle,
  size: number,
  path: string,
  onWriteError: () => Promise<void>,
): Promise<unknown> {
  let writeError: unknown;
  let writing: Promise<void> = Promise.resolve();
  const startWrite = async (data: Buffer, position: number): Promise<void> => {
    await writing;
    if (writeError !== undefined) return;
    writing = writeFully(handle, data, position).catch(async (err: unknown) => {
      writeError = err;
      await onWriteError();
    });
  };
  let turn: 0 | 1 = 0;
  let filled = 0;
  try {
    for (let received = 0; received < size; ) {
      const want = Math.min(CHUNK_SIZE - filled, size - received);
      const chunk = await ctx.reader.next(want);
      if (!chunk) throw new ConnectionLost(`lost connection while receiving ${path}`);
      received += chunk.length;
      if (writeError !== undefined) continue;
      if (filled === 0 && chunk.length === want) {
        // a whole write in one chunk, as a small file comes: written as it is
        await startWrite(chunk, received - chunk.length);
        continue;
      }
      // the write before the last one, which filled this buffer, has ended
      const buffer = ctx.chunkBuffer(turn);
      chunk.copy(buffer, filled);
      filled += chunk.length;
      if (filled === CHUNK_SIZE || received === size) {
        await startWrite(buffer.subarray(0, filled), received - filled);
        turn = turn === 0 ? 1 : 0;
        filled = 0;
      }
    }
  } finally {
    await writing;
  }
  return writeError;
}

function attributes(ctx: ScpContext, mode: number, times: Times | undefined): SetStat {
  return { mode: mode & MODE_MASK, ...(times && ctx.options.preserve ? times : {}) };
}

async function receiveFile(
  ctx: ScpContext,
  path: string,
  header: Header,
  times: Times | undefined,
): Promise<void> {
  const { fs, reader, writer } = ctx;
  let handle: FileHandle;
  try {
    handle = await fs.open(
      path,
      { write: true, create: true, truncate: true },
      header.mode & MODE_MASK,
    );
  } catch (err) {
    // The client sends no data after a refused header.
    await ctx.sendError(`scp: ${path}: ${reasonOf(err)}`);
    return;
  }
  let settled = false;
  try {
    await writer.write(OK);
    const writeError = await receiveData(ctx, handle, header.size, path, async () => {
      // the rest is still read, to stay in step with the client
      settled = true;
      await abortUpload(fs, handle, path);
    });
    // libssh2's upload (`ssh2_scp_send`: curl's scp://, PHP, Perl) ends the stream
    // where scp sends a status byte: every byte of the file arrived, so it is whole
    const status = (await reader.atEnd()) ? ({ ok: true } as const) : await ctx.readResponse();
    if (writeError !== undefined) {
      await ctx.sendError(`scp: ${path}: ${reasonOf(writeError)}`);
      return;
    }
    if (!status.ok) {
      // The client could not read its own file: what arrived is not the file.
      settled = true;
      await abortUpload(fs, handle, path);
      await writer.write(OK);
      return;
    }
    settled = true;
    try {
      await handle.close();
    } catch (err) {
      await ctx.sendError(`scp: ${path}: ${reasonOf(err)}`);
      return;
    }
    if (ctx.options.preserve) {
      try {
        await fs.setstat(path, attributes(ctx, header.mode, times), { followLinks: true });
      } catch (err) {
        await ctx.sendError(`scp: ${path}: set mode and times: ${reasonOf(err)}`);
        return;
      }
    }
    await writer.write(OK);
  } finally {
    if (!settled) await abortUpload(fs, handle, path);
  }
}

async function enterDirectory(
  ctx: ScpContext,
  path: string,
  header: Header,
  times: Times | undefined,
  stack: OpenDirectory[],
): Promise<void> {
  let exists = false;
  try {
    if (!isDirectory(await ctx.fs.stat(path))) {
      await ctx.sendError(`scp: ${path}: Not a directory`);
      return;
    }
    exists = true;
  } catch (err) {
    if (!(err instanceof VfsError && err.code === 'not-found')) {
      await ctx.sendError(`scp: ${path}: ${reasonOf(err)}`);
      return;
    }
  }
  if (!exists) {
    try {
      // Writable by its owner while it is filled; -p applies the mode sent at its end.
      await ctx.fs.mkdir(path, (header.mode & MODE_MASK) | 0o700);
    } catch (err) {
      await ctx.sendError(`scp: ${path}: ${reasonOf(err)}`);
      return;
    }
  }
  stack.push({ path, mode: header.mode, times });
  await ctx.writer.write(OK);
}

async function leaveDirectory(ctx: ScpContext, dir: OpenDirectory): Promise<void> {
  if (ctx.options.preserve) {
    try {
      await ctx.fs.setstat(dir.path, attributes(ctx, dir.mode, dir.times), { followLinks: true });
    } catch (err) {
      await ctx.sendError(`scp: ${dir.path}: set mode and times: ${reasonOf(err)}`);
      return;
    }
  }
  await ctx.writer.write(OK);
}

/** Runs `scp -t <target>`: receives what the client sends. */
export async function sink(ctx: ScpContext): Promise<void> {
  const { options, fs, reader } = ctx;
  const given = options.paths[0]!;
  let target: string;
  try {
    target = clientPath(given);
  } catch (err) {
    throw new ScpFatalError(`${given}: ${reasonOf(err)}`);
  }
  let targetIsDir = false;
  try {
    targetIsDir = isDirectory(await fs.stat(target));
  } catch {
    // a file to create, or open tells why it cannot be
  }
  if (options.targetIsDirectory && !targetIsDir) {
    throw new ScpFatalError(`${target}: Not a directory`);
  }
  await ctx.writer.write(OK);

  const stack: OpenDirectory[] = [];
  let times: Times | undefined;
  for (let first = true; ; first = false) {
    const record = await reader.readLine(MAX_RECORD_LENGTH);
    if (record.kind === 'eof') {
      if (stack.length > 0) throw new ConnectionLost('lost connection inside a directory');
      return;
    }
    if (record.kind === 'too-long') {
      throw new ScpFatalError(
        `protocol error: control record longer than ${MAX_RECORD_LENGTH} bytes`,
      );
    }
    if (record.kind === 'unterminated') {
      throw new ScpFatalError(
        `protocol error: control record ${excerpt(record.partial)} not ended by a newline`,
      );
    }
    const line = record.line;
    switch (line[0]) {
      case 1:
        ctx.noteError(line.subarray(1).toString('utf8'));
        break;
      case 2:
        throw new ScpFatalError(line.subarray(1).toString('utf8'), false);
      case E: {
        if (line.length !== 1)
          throw new ScpFatalError(`protocol error: malformed record ${excerpt(line)}`);
        const dir = stack.pop();
        if (!dir) throw new ScpFatalError('protocol error: end of directory outside a directory');
        await leaveDirectory(ctx, dir);
        break;
      }
      case T:
        times = parseTimes(line);
        await ctx.writer.write(OK);
        break;
      case C:
      case D: {
        const header = parseHeader(line);
        const entryTimes = times;
        times = undefined;
        if (header.type === 'D' && !options.recursive) {
          throw new ScpFatalError('protocol error: received a directory without -r');
        }
        const checked = checkName(header.name);
        if ('refused' in checked) {
          // Refused before any data: the client skips this entry's contents.
          await ctx.sendError(`scp: error: ${checked.refused}`);
          break;
        }
        const dir = stack.at(-1)?.path ?? (targetIsDir ? target : undefined);
        let path: string;
        try {
          path = dir === undefined ? target : clientPath(joinPath(dir, checked.name));
        } catch (err) {
          await ctx.sendError(`scp: ${checked.name}: ${reasonOf(err)}`);
          break;
        }
        if (header.type === 'C') await receiveFile(ctx, path, header, entryTimes);
        else await enterDirectory(ctx, path, header, entryTimes, stack);
        break;
      }
      default:
        throw new ScpFatalError(
          first
            ? `protocol error: expected a control record, got ${excerpt(line)}`
            : `protocol error: unknown record ${excerpt(line)}`,
        );
    }
  }
}
