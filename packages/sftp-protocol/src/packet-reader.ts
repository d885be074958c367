import type { Attrs } from './attrs.js';
import {
  SSH_FILEXFER_ATTR_ACMODTIME,
  SSH_FILEXFER_ATTR_EXTENDED,
  SSH_FILEXFER_ATTR_PERMISSIONS,
  SSH_FILEXFER_ATTR_SIZE,
  SSH_FILEXFER_ATTR_UIDGID,
} from './constants.js';
import { BadMessageError } from './errors.js';

/**
 * Reads the fields of one packet in order. Reading past the end throws
 * {@link BadMessageError}; strings are zero-copy views of the packet.
 */
export class PacketReader {
  readonly #buf: Buffer;
  #pos: number;

  constructor(buf: Buffer, start = 0) {
    this.#buf = buf;
    this.#pos = start;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  #need(n: number, what: string): void {
    if (this.#buf.length - this.#pos < n) throw new BadMessageError(`truncated packet: ${what}`);
  }

  uint8(): number {
    this.#need(1, 'byte');
    return this.#buf[this.#pos++]!;
  }

  uint32(): number {
    this.#need(4, 'uint32');
    const v = this.#buf.readUInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }

  /** A uint64; values beyond 2^53 are refused rather than rounded. */
  uint64(): number {
    this.#need(8, 'uint64');
    const hi = this.#buf.readUInt32BE(this.#pos);
    const lo = this.#buf.readUInt32BE(this.#pos + 4);
    this.#pos += 8;
    if (hi >= 0x200000) throw new BadMessageError('uint64 value too large');
    return hi * 0x1_0000_0000 + lo;
  }

  /** string: uint32 length, then that many bytes. */
  bytes(): Buffer {
    const len = this.uint32();
    this.#need(len, 'string');
    const v = this.#buf.subarray(this.#pos, this.#pos + len);
    this.#pos += len;
    return v;
  }

  /** A string decoded as UTF-8, as file names are in version 3. */
  string(): string {
    return this.bytes().toString('utf8');
  }

  /**
   * ATTRS: uint32 flags / uint64 size? / uint32 uid, gid? / uint32 permissions? /
   * uint32 atime, mtime? / uint32 extended_count, then that many string pairs?
   */
  attrs(): Attrs {
    const flags = this.uint32();
    const attrs: Attrs = {};
    if (flags & SSH_FILEXFER_ATTR_SIZE) attrs.size = this.uint64();
    if (flags & SSH_FILEXFER_ATTR_UIDGID) {
      attrs.uid = this.uint32();
      attrs.gid = this.uint32();
    }
    if (flags & SSH_FILEXFER_ATTR_PERMISSIONS) attrs.mode = this.uint32();
    if (flags & SSH_FILEXFER_ATTR_ACMODTIME) {
      attrs.atime = this.uint32();
      attrs.mtime = this.uint32();
    }
    if (flags & SSH_FILEXFER_ATTR_EXTENDED) {
      const count = this.uint32();
      for (let i = 0; i < count; i++) {
        this.bytes();
        this.bytes();
      }
    }
    return attrs;
  }
}
