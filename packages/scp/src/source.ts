import { posix } from 'node:path';
import {
  type DirHandle,
  type FileHandle,
  type FileStat,
  isDirectory,
  isSymbolicLink,
  S_IFMT,
  S_IFREG,
} from '@sftpgo/vfs';
import {
  CHUNK_SIZE,
  clientPath,
  joinPath,
  MODE_MASK,
  OK,
  reasonOf,
  type ScpContext,
} from './common.js';

// The sending side (`scp -f`): the files and directories named are sent to
// the client, which acknowledges every record.

function octalMode(mode: number): string {
  return (mode & MODE_MASK).toString(8).padStart(4, '0');
}

function timesRecord(st: FileStat): string {
  const seconds = (ms: number) => Math.max(0, Math.floor(ms / 1000));
  return `T${seconds(st.mtimeMs)} 0 ${seconds(st.atimeMs)} 0\n`;
}

/** Closes a file whose download did not complete: the fs layers decide what that means. */
async function abortDownload(handle: FileHandle): Promise<void> {
  await (handle.abort ? handle.abort() : handle.close()).catch(() => {});
}

async function sendFile(
  ctx: ScpContext,
  path: string,
  name: string,
  display: string,
): Promise<void> {
  const { fs, writer } = ctx;
  let handle: FileHandle;
  try {
    handle = await fs.open(path, { read: true });
  } catch (err) {
    await ctx.sendError(`scp: ${display}: ${reasonOf(err)}`);
    return;
  }
  let completed = false;
  let inFlight: Promise<Buffer> | undefined;
  try {
    let st: FileStat;
    try {
      st = await handle.stat();
    } catch (err) {
      await ctx.sendError(`scp: ${display}: ${reasonOf(err)}`);
      return;
    }
    if (ctx.options.preserve) {
      await writer.write(timesRecord(st));
      if (!(await ctx.readResponse()).ok) return;
    }
    const size = st.size;
    await writer.write(`C${octalMode(st.mode)} ${size} ${name}\n`);
    if (!(await ctx.readResponse()).ok) return;

    let readError: unknown;
    let turn: 0 | 1 = 0;
    // Never rejects: after a failed read, zeros keep the client in step.
    const readChunk = async (position: number): Promise<Buffer> => {
      const length = Math.min(CHUNK_SIZE, size - position);
      // the buffer of the chunk before the last one: its write has called back
      turn = turn === 0 ? 1 : 0;
      const buffer = ctx.outputCopies
        ? ctx.chunkBuffer(turn).subarray(0, length)
        : Buffer.allocUnsafe(length);
      if (readError === undefined) {
        try {
          for (let filled = 0; filled < length; ) {
            const n = await handle.read(buffer, filled, length - filled, position + filled);
            if (n <= 0) throw new Error('file truncated while being sent');
            filled += n;
          }
          return buffer;
        } catch (err) {
          readError = err;
        }
      }
      return buffer.fill(0);
    };
    // One chunk is read while the previous one is written.
    inFlight = size > 0 ? readChunk(0) : undefined;
    for (let position = 0; position < size; ) {
      const chunk = await inFlight!;
      position += chunk.length;
      inFlight = position < size ? readChunk(position) : undefined;
      if (ctx.outputCopies) await writer.writeAndAwaitCallback(chunk);
      else await writer.write(chunk);
    }
    if (readError === undefined) {
      completed = true;
      try {
        await handle.close();
      } catch (err) {
        readError = err;
      }
    }
    if (readError === undefined) await writer.write(OK);
    else await ctx.sendError(`scp: ${display}: ${reasonOf(readError)}`);
    await ctx.readResponse();
  } finally {
    if (!completed) {
      await inFlight;
      await abortDownload(handle);
    }
  }
}

async function sendDirectory(
  ctx: ScpContext,
  path: string,
  name: string,
  st: FileStat,
  display: string,
): Promise<void> {
  const { fs, writer } = ctx;
  let dir: DirHandle;
  try {
    dir = await fs.opendir(path);
  } catch (err) {
    await ctx.sendError(`scp: ${display}: ${reasonOf(err)}`);
    return;
  }
  try {
    if (ctx.options.preserve) {
      await writer.write(timesRecord(st));
      if (!(await ctx.readResponse()).ok) return;
    }
    await writer.write(`D${octalMode(st.mode)} 0 ${name}\n`);
    if (!(await ctx.readResponse()).ok) return;
    for (;;) {
      let page: Awaited<ReturnType<DirHandle['read']>>;
      try {
        page = await dir.read();
      } catch (err) {
        await ctx.sendError(`scp: ${display}: ${reasonOf(err)}`);
        break;
      }
      if (!page) break;
      for (const entry of page) {
        if (entry.name === '.' || entry.name === '..') continue;
        const childPath = joinPath(path, entry.name);
        const childDisplay = `${display}/${entry.name}`;
        let entryStat = entry.stat;
        if (isSymbolicLink(entryStat)) {
          try {
            entryStat = await fs.stat(childPath);
          } catch (err) {
            await ctx.sendError(`scp: ${childDisplay}: ${reasonOf(err)}`);
            continue;
          }
          if (isDirectory(entryStat)) {
            // Links to directories could loop: only the tree itself is copied.
            await ctx.sendError(`scp: ${childDisplay}: symbolic link to a directory, not followed`);
            continue;
          }
        }
        await sendEntry(ctx, childPath, entry.name, entryStat, childDisplay);
      }
    }
    await writer.write('E\n');
    await ctx.readResponse();
  } finally {
    await dir.close().catch(() => {});
  }
}

async function sendEntry(
  ctx: ScpContext,
  path: string,
  name: string,
  st: FileStat,
  display: string,
): Promise<void> {
  if (name.includes('\n')) {
    await ctx.sendError(`scp: ${display}: a name with a newline cannot be sent`);
  } else if (isDirectory(st)) {
    if (ctx.options.recursive) await sendDirectory(ctx, path, name, st, display);
    else await ctx.sendError(`scp: ${display}: not a regular file`);
  } else if ((st.mode & S_IFMT) !== S_IFREG) {
    await ctx.sendError(`scp: ${display}: not a regular file`);
  } else {
    await sendFile(ctx, path, name, display);
  }
}

/** Runs `scp -f <path>...`: sends the files and directories named. */
export async function source(ctx: ScpContext): Promise<void> {
  // The client tells first that it is ready.
  await ctx.readResponse();
  for (const given of ctx.options.paths) {
    const display = given.length > 1 ? given.replace(/\/+$/, '') || '/' : given;
    let path: string;
    let st: FileStat;
    try {
      path = clientPath(given);
      st = await ctx.fs.stat(path);
    } catch (err) {
      await ctx.sendError(`scp: ${display}: ${reasonOf(err)}`);
      continue;
    }
    if (path === '/') {
      await ctx.sendError(`scp: ${display}: the root directory has no name to send`);
      continue;
    }
    await sendEntry(ctx, path, posix.basename(path), st, display);
  }
}
