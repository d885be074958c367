import { BadMessageError, PacketReader, PacketWriter, SSH_FXP_ATTRS } from '@sftpgo/sftp-protocol';
import { describe, expect, it } from 'vitest';

describe('PacketWriter and PacketReader', () => {
  it('round-trip every field type', () => {
    const attrs = { size: 2 ** 40 + 7, uid: 1000, gid: 100, mode: 0o100644, atime: 1, mtime: 2 };
    const packet = new PacketWriter(SSH_FXP_ATTRS, 1)
      .uint32(42)
      .uint64(2 ** 52)
      .string('héllo')
      .string(Buffer.from([0, 1, 2]))
      .attrs(attrs)
      .finish();
    expect(packet.readUInt32BE(0)).toBe(packet.length - 4);
    const r = new PacketReader(packet, 4);
    expect(r.uint8()).toBe(SSH_FXP_ATTRS);
    expect(r.uint32()).toBe(42);
    expect(r.uint64()).toBe(2 ** 52);
    expect(r.string()).toBe('héllo');
    expect([...r.bytes()]).toEqual([0, 1, 2]);
    expect(r.attrs()).toEqual(attrs);
    expect(r.remaining).toBe(0);
  });

  it('writes only the attributes that are set', () => {
    const packet = new PacketWriter(SSH_FXP_ATTRS).attrs({ mode: 0o755 }).finish();
    expect(new PacketReader(packet, 5).attrs()).toEqual({ mode: 0o755 });
  });

  it('refuses a string whose length runs past the packet', () => {
    const buf = Buffer.from([0, 0, 0, 10, 65, 66]);
    expect(() => new PacketReader(buf).bytes()).toThrow(BadMessageError);
  });

  it('refuses truncated integers', () => {
    expect(() => new PacketReader(Buffer.from([1, 2, 3])).uint32()).toThrow(/truncated/);
    expect(() => new PacketReader(Buffer.alloc(7)).uint64()).toThrow(/truncated/);
  });

  it('refuses a uint64 that a JavaScript number cannot hold exactly', () => {
    expect(() => new PacketReader(Buffer.alloc(8, 0xff)).uint64()).toThrow(/too large/);
  });

  it('skips extended attribute pairs', () => {
    const packet = new PacketWriter(0)
      .uint32(0x80000004)
      .uint32(0o644)
      .uint32(1)
      .string('name')
      .string('value')
      .uint32(99)
      .finish();
    const r = new PacketReader(packet, 5);
    expect(r.attrs()).toEqual({ mode: 0o644 });
    expect(r.uint32()).toBe(99);
  });
});
