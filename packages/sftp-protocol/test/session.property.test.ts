import {
  MAX_PACKET_LENGTH,
  PacketWriter,
  type SftpHandler,
  SSH_FX_FAILURE,
  SSH_FXP_INIT,
  SSH_FXP_STATUS,
  SSH_FXP_WRITE,
} from '@sftpgo/sftp-protocol';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  INIT,
  pathRequestArb,
  sessionInputArb,
  uint32Arb,
  validRequestArb,
} from '../fuzz/arbitraries.js';
import { readReply, runSession } from '../fuzz/session-harness.js';

// runSession fails a session that hangs; this fails a test that leaves a
// rejection unhandled, even one that surfaces after its session has ended.
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled.splice(0)).toEqual([]);
});

const TIMEOUT_MS = 2000;
/** A hang costs TIMEOUT_MS per shrinking step: report what was found by then. */
const SHRINK_LIMIT = { interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true };

function lengthField(length: number, rest: Uint8Array): Buffer {
  const b = Buffer.alloc(4 + rest.length);
  b.writeUInt32BE(length, 0);
  b.set(rest, 4);
  return b;
}

/** A handler whose every method throws `thrown`, at once or from its promise. */
function throwingHandler(thrown: unknown, sync: boolean): SftpHandler {
  const fail = sync
    ? () => {
        throw thrown;
      }
    : async () => {
        throw thrown;
      };
  return {
    open: fail,
    opendir: fail,
    stat: fail,
    lstat: fail,
    setstat: fail,
    remove: fail,
    mkdir: fail,
    rmdir: fail,
    realpath: fail,
    rename: fail,
    readlink: fail,
    symlink: fail,
  };
}

/** Anything a handler might throw that is not an SftpStatusError, lookalikes included. */
const thrownArb = fc.oneof(
  fc.string().map((m) => new Error(m)),
  fc.string().map((m) => new TypeError(m)),
  fc.record({ status: fc.integer(), message: fc.string() }),
  fc.constant(Object.assign(new Error('no'), { name: 'SftpStatusError', status: 2 })),
  fc.anything(),
);

describe('SftpSession, on any input', () => {
  it('answers each request once with a well-formed reply of its id, or ends with a protocol error', async () => {
    await fc.assert(
      fc.asyncProperty(sessionInputArb('small'), async ({ chunks, options }) => {
        const { problems } = await runSession(chunks, {
          sessionOptions: options,
          timeoutMs: TIMEOUT_MS,
        });
        expect(problems).toEqual([]);
      }),
      { numRuns: 300, ...SHRINK_LIMIT },
    );
  });

  it('answers SSH_FX_FAILURE when the handler throws anything but an SftpStatusError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(pathRequestArb, { minLength: 1, maxLength: 8 }),
        thrownArb,
        fc.boolean(),
        async (requests, thrown, sync) => {
          const reported: unknown[] = [];
          const { problems, replies } = await runSession([INIT, ...requests], {
            handler: throwingHandler(thrown, sync),
            sessionOptions: { onUnexpectedError: (err) => reported.push(err) },
            timeoutMs: TIMEOUT_MS,
          });
          expect(problems).toEqual([]);
          for (const reply of replies.slice(1)) {
            expect(readReply(reply)).toMatchObject({
              type: SSH_FXP_STATUS,
              status: SSH_FX_FAILURE,
            });
          }
          expect(reported).toHaveLength(requests.length);
          for (const err of reported) expect(Object.is(err, thrown)).toBe(true);
        },
      ),
      SHRINK_LIMIT,
    );
  });

  it('ends the session on a length field above 256 KiB, before or after INIT', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: MAX_PACKET_LENGTH + 1, max: 0xffff_ffff }),
        fc.uint8Array({ maxLength: 16 }),
        fc.boolean(),
        fc.array(validRequestArb, { maxLength: 4 }),
        async (length, rest, afterInit, before) => {
          const bad = lengthField(length, rest);
          const { problems, end } = await runSession(afterInit ? [INIT, ...before, bad] : [bad], {
            timeoutMs: TIMEOUT_MS,
          });
          expect(problems).toEqual([]);
          expect(end?.reason).toBe('protocol-error');
        },
      ),
      SHRINK_LIMIT,
    );
  });

  it('ends the session on a zero length field', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(validRequestArb, { maxLength: 4 }),
        fc.uint8Array({ maxLength: 16 }),
        async (before, rest) => {
          const { problems, end } = await runSession([INIT, ...before, lengthField(0, rest)], {
            timeoutMs: TIMEOUT_MS,
          });
          expect(problems).toEqual([]);
          expect(end?.reason).toBe('protocol-error');
        },
      ),
      SHRINK_LIMIT,
    );
  });

  it('ends the session when anything but INIT comes first', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 255 }).filter((t) => t !== SSH_FXP_INIT),
        uint32Arb,
        async (type, id) => {
          const packet = new PacketWriter(type).uint32(id).finish();
          const { problems, replies, end } = await runSession([packet, INIT], {
            timeoutMs: TIMEOUT_MS,
          });
          expect(problems).toEqual([]);
          expect(replies).toEqual([]);
          expect(end?.reason).toBe('protocol-error');
        },
      ),
      SHRINK_LIMIT,
    );
  });

  it('serves a packet of exactly 256 KiB', async () => {
    // Type, id, a 4-byte handle (0 is never issued), offset and the data's length take 25 bytes.
    const data = Buffer.alloc(MAX_PACKET_LENGTH - 25);
    const packet = new PacketWriter(SSH_FXP_WRITE)
      .uint32(7)
      .string(Buffer.alloc(4))
      .uint64(0)
      .string(data)
      .finish();
    expect(packet.length).toBe(4 + MAX_PACKET_LENGTH);
    const { problems, replies, end } = await runSession([INIT, packet]);
    expect(problems).toEqual([]);
    expect(readReply(replies[1]!)).toMatchObject({ id: 7, status: SSH_FX_FAILURE });
    expect(end?.reason).toBe('eof');
  });
});
