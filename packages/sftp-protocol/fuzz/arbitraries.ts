import {
  MAX_PACKET_LENGTH,
  PacketWriter,
  SSH_FXF_CREAT,
  SSH_FXF_READ,
  SSH_FXF_WRITE,
  SSH_FXP_CLOSE,
  SSH_FXP_EXTENDED,
  SSH_FXP_FSETSTAT,
  SSH_FXP_FSTAT,
  SSH_FXP_INIT,
  SSH_FXP_LSTAT,
  SSH_FXP_MKDIR,
  SSH_FXP_OPEN,
  SSH_FXP_OPENDIR,
  SSH_FXP_READ,
  SSH_FXP_READDIR,
  SSH_FXP_READLINK,
  SSH_FXP_REALPATH,
  SSH_FXP_REMOVE,
  SSH_FXP_RENAME,
  SSH_FXP_RMDIR,
  SSH_FXP_SETSTAT,
  SSH_FXP_STAT,
  SSH_FXP_SYMLINK,
  SSH_FXP_WRITE,
} from '@sftpgo/sftp-protocol';
import fc from 'fast-check';

// Arbitraries of SFTP client input: valid requests for every packet type, and
// the same requests damaged the ways a broken or hostile client damages them.
// Each value is one frame, uint32 length then payload, ready to be written.

/** Writes one field of a request. */
type Field = (w: PacketWriter) => void;

export const uint32Arb = fc.integer({ min: 0, max: 0xffff_ffff });

export const attrsArb = fc.record(
  {
    size: fc.maxSafeNat(),
    uid: uint32Arb,
    gid: uint32Arb,
    mode: uint32Arb,
    atime: uint32Arb,
    mtime: uint32Arb,
  },
  { requiredKeys: [] },
);

/** The paths that MemoryHandler knows, or anything, or bytes that are not UTF-8. */
const pathArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '/file',
      '/dir',
      '/dir/a',
      '/big',
      '/link',
      '/new',
      '/boom',
      '/slow',
    ),
  },
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)),
);

/** Handles are 4-byte counters from 1, so small numbers often name an open one. */
const handleArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }).map((n) => u32(n)) },
  fc.integer({ min: 0, max: 20 }).map((n) => u32(n)),
  fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
);

const dataArb = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  fc.integer({ min: 0, max: 70_000 }).map((n) => Buffer.alloc(n, 'x')),
);

function field<T>(arb: fc.Arbitrary<T>, write: (w: PacketWriter, v: T) => void) {
  return arb.map<Field>((v) => (w) => write(w, v));
}

const path = field(pathArb, (w, p) => w.string(p));
const openablePath = field(fc.constantFrom('/file', '/dir/a', '/big', '/link', '/new'), (w, p) =>
  w.string(p),
);
const dirPath = field(fc.constantFrom('/', '/dir'), (w, p) => w.string(p));
const handle = field(handleArb, (w, h) => w.string(h));
const uint32 = field(uint32Arb, (w, v) => w.uint32(v));
const offset = field(
  fc.oneof({ weight: 3, arbitrary: fc.nat(16) }, fc.nat(5000), fc.maxSafeNat()),
  (w, v) => w.uint64(v),
);
const pflags = field(
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(SSH_FXF_READ, SSH_FXF_WRITE | SSH_FXF_CREAT) },
    uint32Arb,
  ),
  (w, v) => w.uint32(v),
);
const data = field(dataArb, (w, d) => w.string(d));
const attrs = field(attrsArb, (w, a) => w.attrs(a));
const username = field(fc.constantFrom('', 'user', 'root'), (w, u) => w.string(u));

function extension(name: string): fc.Arbitrary<Field> {
  return fc.constant((w) => w.string(name));
}

function request(type: number, ...fields: fc.Arbitrary<Field>[]): fc.Arbitrary<Buffer> {
  return fc.tuple(uint32Arb, fc.tuple(...fields)).map(([id, steps]) => {
    const w = new PacketWriter(type).uint32(id);
    for (const step of steps) step(w);
    return w.finish();
  });
}

/** Valid requests that name a path, and so always reach the handler. */
export const pathRequestArb = fc.oneof(
  request(SSH_FXP_OPEN, path, pflags, attrs),
  request(SSH_FXP_OPENDIR, path),
  request(SSH_FXP_LSTAT, path),
  request(SSH_FXP_STAT, path),
  request(SSH_FXP_SETSTAT, path, attrs),
  request(SSH_FXP_REMOVE, path),
  request(SSH_FXP_MKDIR, path, attrs),
  request(SSH_FXP_RMDIR, path),
  request(SSH_FXP_REALPATH, path),
  request(SSH_FXP_RENAME, path, path),
  request(SSH_FXP_READLINK, path),
  request(SSH_FXP_SYMLINK, path, path),
  request(SSH_FXP_EXTENDED, extension('posix-rename@openssh.com'), path, path),
);

/** The extensions the engine advertises besides posix-rename, with valid fields. */
const extensionRequestArb = fc.oneof(
  request(SSH_FXP_EXTENDED, extension('statvfs@openssh.com'), path),
  request(SSH_FXP_EXTENDED, extension('fstatvfs@openssh.com'), handle),
  request(SSH_FXP_EXTENDED, extension('hardlink@openssh.com'), path, path),
  request(SSH_FXP_EXTENDED, extension('fsync@openssh.com'), handle),
  request(SSH_FXP_EXTENDED, extension('lsetstat@openssh.com'), path, attrs),
  request(SSH_FXP_EXTENDED, extension('limits@openssh.com')),
  request(SSH_FXP_EXTENDED, extension('expand-path@openssh.com'), path),
  request(SSH_FXP_EXTENDED, extension('home-directory'), username),
  // read handle, offset, length (0: to end of file), write handle, offset
  request(SSH_FXP_EXTENDED, extension('copy-data'), handle, offset, offset, handle, offset),
);

/** A valid request of every type the engine serves; opens that succeed are frequent. */
export const validRequestArb = fc.oneof(
  { weight: 13, arbitrary: pathRequestArb },
  { weight: 3, arbitrary: request(SSH_FXP_OPEN, openablePath, pflags, attrs) },
  { weight: 1, arbitrary: request(SSH_FXP_OPENDIR, dirPath) },
  { weight: 2, arbitrary: request(SSH_FXP_CLOSE, handle) },
  { weight: 2, arbitrary: request(SSH_FXP_READ, handle, offset, uint32) },
  { weight: 2, arbitrary: request(SSH_FXP_WRITE, handle, offset, data) },
  { weight: 1, arbitrary: request(SSH_FXP_FSTAT, handle) },
  { weight: 1, arbitrary: request(SSH_FXP_FSETSTAT, handle, attrs) },
  { weight: 2, arbitrary: request(SSH_FXP_READDIR, handle) },
  { weight: 3, arbitrary: extensionRequestArb },
);

/** Every SSH_FXP_* number, then bytes that name no packet type. */
const typeArb = fc.oneof(
  fc.integer({ min: SSH_FXP_INIT, max: SSH_FXP_SYMLINK }),
  fc.constantFrom(101, 102, 103, 104, 105, 200, 201),
  fc.integer({ min: 0, max: 255 }),
);

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v, 0);
  return b;
}

/** A frame with a random type, a random id and random bytes after them. */
const randomFrameArb = fc
  .tuple(typeArb, uint32Arb, fc.uint8Array({ maxLength: 64 }))
  .map(([type, id, body]) => frame(Buffer.concat([Buffer.of(type), u32(id), body])));

/** Damage that keeps the frame's length field true, so later frames stay framed. */
const damagedFrameArb = fc.oneof(
  // Bit flips in the payload: a wrong type, id, flag or length prefix.
  fc.tuple(validRequestArb, fc.array(fc.nat(), { minLength: 1, maxLength: 4 })).map(([f, bits]) => {
    const out = Buffer.from(f);
    for (const bit of bits) {
      const i = 4 + ((bit >> 3) % (f.length - 4));
      out[i] = out[i]! ^ (1 << (bit & 7));
    }
    return out;
  }),
  // A truncated last field.
  fc
    .tuple(validRequestArb, fc.nat())
    .map(([f, n]) => frame(f.subarray(4, 4 + 5 + (n % (f.length - 8))))),
  // A string length or count claiming more than the packet holds.
  fc
    .tuple(
      validRequestArb,
      fc.nat(),
      fc.oneof(fc.constantFrom(0xffff_ffff, 0x8000_0000, MAX_PACKET_LENGTH), uint32Arb),
    )
    .map(([f, at, v]) => {
      const out = Buffer.from(f);
      if (out.length >= 13) out.writeUInt32BE(v, 9 + (at % (out.length - 12)));
      return out;
    }),
  // The head of one request spliced onto the tail of another.
  fc
    .tuple(validRequestArb, validRequestArb, fc.nat(), fc.nat())
    .map(([a, b, i, j]) =>
      frame(
        Buffer.concat([
          a.subarray(4, 5 + (i % (a.length - 4))),
          b.subarray(4 + (j % (b.length - 4))),
        ]),
      ),
    ),
  // Trailing bytes after the last field.
  fc
    .tuple(validRequestArb, fc.uint8Array({ minLength: 1, maxLength: 16 }))
    .map(([f, extra]) => frame(Buffer.concat([f.subarray(4), extra]))),
  randomFrameArb,
);

/** A length field off by a few bytes, or any value at all. */
const lengthFieldArb = fc.oneof(
  fc.integer({ min: -8, max: 8 }).map((d) => (length: number) => Math.max(0, length + d)),
  fc
    .oneof(fc.constantFrom(0, 1, 4, MAX_PACKET_LENGTH, MAX_PACKET_LENGTH + 1), uint32Arb)
    .map((v) => () => v),
);

/** Damage to the framing itself: what follows is read from the wrong offset. */
const misframedArb = fc.oneof(
  fc.tuple(validRequestArb, lengthFieldArb).map(([f, length]) => {
    const out = Buffer.from(f);
    out.writeUInt32BE(length(f.length - 4), 0);
    return out;
  }),
  // Cut short without fixing the length: the next frame's bytes complete it.
  fc.tuple(validRequestArb, fc.nat()).map(([f, n]) => f.subarray(0, n % f.length)),
);

/** SSH_FXP_INIT, version 3. */
export const INIT = new PacketWriter(SSH_FXP_INIT).uint32(3).finish();

/** How the client's bytes arrive: at once, a frame at a time, or in chunks of n bytes. */
const deliveryArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant('whole' as const) },
  { weight: 3, arbitrary: fc.constant('frames' as const) },
  fc.integer({ min: 1, max: 8 }),
  fc.integer({ min: 9, max: 100_000 }),
);

function deliver(frames: Buffer[], delivery: 'whole' | 'frames' | number): Buffer[] {
  if (delivery === 'frames') return frames;
  const all = Buffer.concat(frames);
  if (delivery === 'whole') return [all];
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += delivery) chunks.push(all.subarray(i, i + delivery));
  return chunks;
}

/** The defaults, or small limits so that flow control and the handle limit are reached. */
const sessionOptionsArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant({}) },
  fc.record(
    { maxInFlight: fc.integer({ min: 1, max: 8 }), maxHandles: fc.integer({ min: 1, max: 4 }) },
    { requiredKeys: [] },
  ),
);

/**
 * What a client sends in one session, INIT first, as the chunks it arrives
 * in, how many frames it holds, and the session's options. Frames are valid
 * or damaged; one session in four also gets a misframed one, after which the
 * rest of the stream is read out of step. `size` scales the frame count:
 * 'small' up to 10, 'large' up to 300.
 */
export function sessionInputArb(size: fc.SizeForArbitrary) {
  return fc
    .record({
      frames: fc.array(fc.oneof(validRequestArb, damagedFrameArb), {
        minLength: 1,
        maxLength: 300,
        size,
      }),
      misframed: fc.oneof(
        { weight: 3, arbitrary: fc.constant(null) },
        fc.tuple(misframedArb, fc.nat()),
      ),
      delivery: deliveryArb,
      options: sessionOptionsArb,
    })
    .map(({ frames, misframed, delivery, options }) => {
      if (misframed) frames.splice(misframed[1] % (frames.length + 1), 0, misframed[0]);
      return { frames: frames.length, chunks: deliver([INIT, ...frames], delivery), options };
    });
}
