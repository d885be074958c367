import type { Attrs } from './attrs.js';
import { MAX_PACKET_LENGTH, SSH_FX_FAILURE, SSH_FXP_EXTENDED_REPLY } from './constants.js';
import { SftpStatusError, unsupported } from './errors.js';
import type { HandleTable, OpenFile } from './handle-table.js';
import type { SftpHandler, SftpStatVfs } from './handler.js';
import type { PacketReader } from './packet-reader.js';
import { PacketWriter } from './packet-writer.js';
import { nameReply, okReply } from './replies.js';

/** Largest READ served, leaving room for the DATA header within a packet. */
export const MAX_READ_LENGTH = MAX_PACKET_LENGTH - 1024;
/** Largest WRITE accepted, as advertised by `limits@openssh.com`. */
export const MAX_WRITE_LENGTH = MAX_PACKET_LENGTH - 1024;
const COPY_CHUNK = 256 * 1024;

/** What an extension needs from its session. */
export interface ExtensionContext {
  readonly handler: SftpHandler;
  readonly handles: HandleTable;
}

type ExtensionServer = (id: number, r: PacketReader, ctx: ExtensionContext) => Promise<Buffer>;

interface Extension {
  /** The data advertised in VERSION, the extension's version. */
  readonly version: string;
  /** Whether a handler supports it; absent means always. */
  readonly available?: (h: SftpHandler) => boolean;
  readonly serve: ExtensionServer;
}

/** uint32 id / 11 × uint64: the statvfs@openssh.com reply */
function statVfsReply(id: number, st: SftpStatVfs): Buffer {
  const w = new PacketWriter(SSH_FXP_EXTENDED_REPLY, 100).uint32(id);
  for (const v of [
    st.bsize,
    st.frsize,
    st.blocks,
    st.bfree,
    st.bavail,
    st.files,
    st.ffree,
    st.favail,
    st.fsid,
    st.flag,
    st.namemax,
  ]) {
    w.uint64(v);
  }
  return w.finish();
}

async function expandHome(path: string, handler: SftpHandler): Promise<string> {
  const match = /^~([^/]*)(\/.*)?$/.exec(path);
  if (!match) return path;
  const home = handler.homeDirectory ? await handler.homeDirectory(match[1] ?? '') : '/';
  return `${home}${match[2] ?? ''}`;
}

function overlaps(a: number, b: number, length: number): boolean {
  if (length === 0) return true; // to end of file: any shared handle overlaps
  return a < b + length && b < a + length;
}

/**
 * Copies `length` bytes, or up to the end of the source as it is now when
 * `length` is 0: a copy onto the same file through another handle would
 * otherwise chase its own end forever.
 */
async function copyData(src: OpenFile, from: number, length: number, dst: OpenFile, to: number) {
  const total = length === 0 ? Math.max(0, ((await src.file.stat()).size ?? 0) - from) : length;
  const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, total));
  let done = 0;
  while (done < total) {
    const n = await src.file.read(from + done, Math.min(COPY_CHUNK, total - done), buf, 0);
    if (n === 0) break;
    await dst.file.write(to + done, buf.subarray(0, n));
    done += n;
  }
}

const EXTENSIONS: Readonly<Record<string, Extension>> = {
  // string oldpath / string newpath: rename replacing the target
  'posix-rename@openssh.com': {
    version: '1',
    async serve(id, r, { handler }) {
      const from = r.string();
      await handler.rename(from, r.string(), { overwrite: true });
      return okReply(id);
    },
  },
  // string path
  'statvfs@openssh.com': {
    version: '2',
    available: (h) => h.statvfs !== undefined,
    async serve(id, r, { handler }) {
      const path = r.string();
      if (!handler.statvfs) throw unsupported('statvfs');
      return statVfsReply(id, await handler.statvfs(path));
    },
  },
  // string handle
  'fstatvfs@openssh.com': {
    version: '2',
    available: (h) => h.statvfs !== undefined,
    async serve(id, r, { handler, handles }) {
      const entry = handles.file(r.bytes());
      if (!handler.statvfs) throw unsupported('fstatvfs');
      return statVfsReply(id, await handler.statvfs(entry.path));
    },
  },
  // string oldpath / string newpath
  'hardlink@openssh.com': {
    version: '1',
    available: (h) => h.link !== undefined,
    async serve(id, r, { handler }) {
      const existing = r.string();
      const created = r.string();
      if (!handler.link) throw unsupported('hardlink');
      await handler.link(existing, created);
      return okReply(id);
    },
  },
  // string handle
  'fsync@openssh.com': {
    version: '1',
    async serve(id, r, { handles }) {
      const entry = handles.file(r.bytes());
      if (!entry.file.sync) throw unsupported('fsync');
      await handles.track(entry, entry.file.sync());
      return okReply(id);
    },
  },
  // string path / ATTRS attrs
  'lsetstat@openssh.com': {
    version: '1',
    available: (h) => h.setstat !== undefined,
    async serve(id, r, { handler }) {
      const path = r.string();
      const attrs: Attrs = r.attrs();
      if (!handler.setstat) throw unsupported('lsetstat');
      await handler.setstat(path, attrs, { followLinks: false });
      return okReply(id);
    },
  },
  // (no data) → uint64 max-packet-length / max-read-length / max-write-length / max-open-handles
  'limits@openssh.com': {
    version: '1',
    async serve(id, _r, { handles }) {
      return new PacketWriter(SSH_FXP_EXTENDED_REPLY, 48)
        .uint32(id)
        .uint64(MAX_PACKET_LENGTH)
        .uint64(MAX_READ_LENGTH)
        .uint64(MAX_WRITE_LENGTH)
        .uint64(handles.max)
        .finish();
    },
  },
  // string path, with a leading ~ or ~user → NAME with the canonical path
  'expand-path@openssh.com': {
    version: '1',
    async serve(id, r, { handler }) {
      const path = await handler.realpath(await expandHome(r.string(), handler));
      return nameReply(id, [{ filename: path, longname: path, attrs: {} }]);
    },
  },
  // string username → NAME with the home directory
  'home-directory': {
    version: '1',
    available: (h) => h.homeDirectory !== undefined,
    async serve(id, r, { handler }) {
      const username = r.string();
      if (!handler.homeDirectory) throw unsupported('home-directory');
      const home = await handler.homeDirectory(username);
      return nameReply(id, [{ filename: home, longname: home, attrs: {} }]);
    },
  },
  // string read-handle / uint64 read-offset / uint64 read-length (0: to EOF) /
  // string write-handle / uint64 write-offset
  'copy-data': {
    version: '1',
    async serve(id, r, { handles }) {
      const src = handles.file(r.bytes());
      const from = r.uint64();
      const length = r.uint64();
      const dst = handles.file(r.bytes());
      const to = r.uint64();
      if (src === dst && overlaps(from, to, length)) {
        throw new SftpStatusError(SSH_FX_FAILURE, 'copy-data: the ranges overlap');
      }
      const copy = copyData(src, from, length, dst, to);
      await handles.track(src, handles.track(dst, copy));
      return okReply(id);
    },
  },
};

/** The extensions advertised in VERSION for `handler`, by name, with their versions. */
export function advertisedExtensions(handler: SftpHandler): Record<string, string> {
  const advertised: Record<string, string> = {};
  for (const [name, ext] of Object.entries(EXTENSIONS)) {
    if (!ext.available || ext.available(handler)) advertised[name] = ext.version;
  }
  return advertised;
}

/** EXTENDED: uint32 id / string extended-request / request-specific data */
export async function serveExtended(
  id: number,
  r: PacketReader,
  ctx: ExtensionContext,
): Promise<Buffer> {
  const name = r.string();
  const ext = Object.hasOwn(EXTENSIONS, name) ? EXTENSIONS[name] : undefined;
  if (!ext) throw unsupported(`extension ${JSON.stringify(name)}`);
  return ext.serve(id, r, ctx);
}
