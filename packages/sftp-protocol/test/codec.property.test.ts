import { type Attrs, BadMessageError, PacketReader, PacketWriter } from '@sftpgo/sftp-protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attrsArb, uint32Arb } from '../fuzz/arbitraries.js';

/** Runs per property: the codec is fast, so more than fast-check's 100. */
const RUNS = { numRuns: 500 };

type Field =
  | { kind: 'uint8'; value: number }
  | { kind: 'uint32'; value: number }
  | { kind: 'uint64'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'bytes'; value: Buffer }
  | { kind: 'attrs'; value: Attrs };

const fieldArb: fc.Arbitrary<Field> = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((value) => ({ kind: 'uint8', value }) as const),
  uint32Arb.map((value) => ({ kind: 'uint32', value }) as const),
  fc.maxSafeNat().map((value) => ({ kind: 'uint64', value }) as const),
  fc.string({ unit: 'binary' }).map((value) => ({ kind: 'string', value }) as const),
  fc.uint8Array().map((b) => ({ kind: 'bytes', value: Buffer.from(b) }) as const),
  attrsArb.map((value) => ({ kind: 'attrs', value }) as const),
);

/** A packet: a type byte, then fields; the size hint exercises the writer's growth. */
interface Packet {
  type: number;
  fields: Field[];
  sizeHint: number;
}

const packetArb: fc.Arbitrary<Packet> = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  fields: fc.array(fieldArb, { minLength: 1, maxLength: 12 }),
  sizeHint: fc.nat(200),
});

function write({ type, fields, sizeHint }: Packet): Buffer {
  const w = new PacketWriter(type, sizeHint);
  for (const f of fields) {
    if (f.kind === 'string' || f.kind === 'bytes') w.string(f.value);
    else if (f.kind === 'attrs') w.attrs(f.value);
    else w[f.kind](f.value);
  }
  return w.finish();
}

function read(r: PacketReader, kind: Field['kind']): Field['value'] {
  return r[kind]();
}

/** UID and GID, and the two times, travel as pairs: a lone half is not written. */
function onTheWire(a: Attrs): Attrs {
  const { uid, gid, atime, mtime, ...rest } = a;
  return {
    ...rest,
    ...(uid !== undefined && gid !== undefined ? { uid, gid } : {}),
    ...(atime !== undefined && mtime !== undefined ? { atime, mtime } : {}),
  };
}

function expected(f: Field): Field['value'] {
  return f.kind === 'attrs' ? onTheWire(f.value) : f.value;
}

describe('PacketWriter and PacketReader, for any fields', () => {
  it('read back every field written, and nothing more', () => {
    fc.assert(
      fc.property(packetArb, (packet) => {
        const buf = write(packet);
        expect(buf.readUInt32BE(0)).toBe(buf.length - 4);
        const r = new PacketReader(buf, 4);
        expect(r.uint8()).toBe(packet.type);
        for (const f of packet.fields) expect(read(r, f.kind)).toEqual(expected(f));
        expect(r.remaining).toBe(0);
      }),
      RUNS,
    );
  });

  it('refuse every truncation with BadMessageError, after reading only what is there', () => {
    const truncatedArb = packetArb.chain((packet) => {
      const payload = write(packet).subarray(4);
      return fc.record({
        packet: fc.constant(packet),
        payload: fc.constant(payload),
        cut: fc.nat(payload.length - 1),
      });
    });
    fc.assert(
      fc.property(truncatedArb, ({ packet, payload, cut }) => {
        // A copy, so that reading past the cut cannot find the original's bytes.
        const r = new PacketReader(Buffer.from(payload.subarray(0, cut)));
        const readAll = () => {
          expect(r.uint8()).toBe(packet.type);
          for (const f of packet.fields) {
            expect(read(r, f.kind)).toEqual(expected(f));
            expect(r.remaining).toBeGreaterThanOrEqual(0);
          }
        };
        expect(readAll).toThrow(BadMessageError);
      }),
      RUNS,
    );
  });
});

const readerOpArb = fc.constantFrom('uint8', 'uint32', 'uint64', 'bytes', 'string', 'attrs');

/** Random bytes, or ATTRS flags and an extended count before them so that attrs() goes deep. */
const bytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.tuple(uint32Arb, uint32Arb, fc.uint8Array({ maxLength: 64 })).map(([flags, count, rest]) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(flags, 0);
    head.writeUInt32BE(count, 4);
    return Buffer.concat([head, rest]);
  }),
);

describe('PacketReader, on any bytes', () => {
  it('either reads within the buffer or throws BadMessageError', () => {
    fc.assert(
      fc.property(
        bytesArb,
        fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.nat(70)),
        fc.array(readerOpArb, { minLength: 1, maxLength: 10 }),
        (buf, start, ops) => {
          const r = new PacketReader(buf, start);
          for (const op of ops) {
            let value: unknown;
            try {
              value = r[op]();
            } catch (err) {
              expect(err).toBeInstanceOf(BadMessageError);
              return;
            }
            expect(r.remaining).toBeGreaterThanOrEqual(0);
            if (Buffer.isBuffer(value)) {
              expect(value.byteOffset).toBeGreaterThanOrEqual(buf.byteOffset + start);
              expect(value.byteOffset + value.length).toBeLessThanOrEqual(
                buf.byteOffset + buf.length,
              );
            }
            if (typeof value === 'number') expect(Number.isSafeInteger(value)).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });
});
