import type { Attrs } from './attrs.js';
import {
  SSH_FILEXFER_ATTR_ACMODTIME,
  SSH_FILEXFER_ATTR_PERMISSIONS,
  SSH_FILEXFER_ATTR_SIZE,
  SSH_FILEXFER_ATTR_UIDGID,
} from './constants.js';

/**
 * Builds one packet: uint32 length, then the fields appended in order.
 * {@link PacketWriter.finish} fills in the length.
 */
export class PacketWriter {
  #buf: Buffer;
  #pos = 4;

  constructor(type: number, sizeHint = 64) {
    this.#buf = Buffer.allocUnsafe(Math.max(sizeHint, 16));
    this.uint8(type);
  }

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  uint8(v: number): this {
    this.#reserve(1);
    this.#buf[this.#pos++] = v;
    return this;
  }

  uint32(v: number): this {
    this.#reserve(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#pos);
    this.#pos += 4;
    return this;
  }

  uint64(v: number): this {
    this.#reserve(8);
    this.#buf.writeUInt32BE(Math.floor(v / 0x1_0000_0000), this.#pos);
    this.#buf.writeUInt32BE(v >>> 0, this.#pos + 4);
    this.#pos += 8;
    return this;
  }

  string(v: string | Buffer): this {
    const len = typeof v === 'string' ? Buffer.byteLength(v) : v.length;
    this.uint32(len);
    this.#reserve(len);
    if (typeof v === 'string') this.#buf.write(v, this.#pos, 'utf8');
    else v.copy(this.#buf, this.#pos);
    this.#pos += len;
    return this;
  }

  attrs(a: Attrs): this {
    let flags = 0;
    if (a.size !== undefined) flags |= SSH_FILEXFER_ATTR_SIZE;
    if (a.uid !== undefined && a.gid !== undefined) flags |= SSH_FILEXFER_ATTR_UIDGID;
    if (a.mode !== undefined) flags |= SSH_FILEXFER_ATTR_PERMISSIONS;
    if (a.atime !== undefined && a.mtime !== undefined) flags |= SSH_FILEXFER_ATTR_ACMODTIME;
    this.uint32(flags);
    if (flags & SSH_FILEXFER_ATTR_SIZE) this.uint64(a.size!);
    if (flags & SSH_FILEXFER_ATTR_UIDGID) this.uint32(a.uid!).uint32(a.gid!);
    if (flags & SSH_FILEXFER_ATTR_PERMISSIONS) this.uint32(a.mode!);
    if (flags & SSH_FILEXFER_ATTR_ACMODTIME) this.uint32(a.atime!).uint32(a.mtime!);
    return this;
  }

  finish(): Buffer {
    this.#buf.writeUInt32BE(this.#pos - 4, 0);
    return this.#buf.subarray(0, this.#pos);
  }
}
