import {
  type Attrs,
  PacketReader,
  PacketWriter,
  type SftpFile,
  type SftpHandler,
  SSH_FXF_READ,
  SSH_FXF_WRITE,
  SSH_FXP_MKDIR,
  SSH_FXP_OPEN,
  SSH_FXP_READ,
  SSH_FXP_REMOVE,
  SSH_FXP_RENAME,
  SSH_FXP_STAT,
  SSH_FXP_WRITE,
} from '@sftpgo/sftp-protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startSession } from './memory-session.js';

// Clients are written against OpenSSH's sftp-server, which serves one
// request at a time. The engine serves requests concurrently, so here the
// handler finishes each call after a delay drawn at random, and the client
// checks what it relies on: replies in the order of the requests, requests
// on the namespace applied in that order too, and reads and writes of an
// open file run only after the namespace requests sent before them.

type Kind = 'stat' | 'mkdir' | 'remove' | 'rename' | 'read' | 'write';
const KINDS: readonly Kind[] = ['stat', 'mkdir', 'remove', 'rename', 'read', 'write'];

interface Trace {
  /** Request ids whose handler calls have finished. */
  readonly finished: Set<number>;
  /** For each request, the ids that had finished when it started. */
  readonly finishedBefore: Map<number, Set<number>>;
}

/** A handler whose every call on `/p<id>` finishes after `delays[id]` ms, traced. */
function delayingHandler(delays: readonly number[], trace: Trace): SftpHandler {
  const call = async <T>(id: number, value: T): Promise<T> => {
    trace.finishedBefore.set(id, new Set(trace.finished));
    await new Promise((resolve) => setTimeout(resolve, delays[id] ?? 0));
    trace.finished.add(id);
    return value;
  };
  const idOf = (path: string) => Number(path.slice(2));
  const attrs: Attrs = { size: 1, mode: 0o100644 };
  // the position of a read or write is the request's id, so that the call knows it
  const file: SftpFile = {
    read: (position, _length, into, offset) => {
      into[offset] = 1;
      return call(position, 1);
    },
    write: (position) => call(position, undefined),
    stat: async () => attrs,
    close: async () => {},
  };
  return {
    open: async () => file,
    opendir: async () => ({ read: async () => null, close: async () => {} }),
    stat: (path) => call(idOf(path), attrs),
    lstat: (path) => call(idOf(path), attrs),
    remove: (path) => call(idOf(path), undefined),
    mkdir: (path) => call(idOf(path), undefined),
    rmdir: (path) => call(idOf(path), undefined),
    realpath: async (path) => path,
    rename: (from) => call(idOf(from), undefined),
  };
}

function request(kind: Kind, id: number, handle: Buffer): Buffer {
  const path = `/p${id}`;
  switch (kind) {
    case 'stat':
      return new PacketWriter(SSH_FXP_STAT).uint32(id).string(path).finish();
    case 'mkdir':
      return new PacketWriter(SSH_FXP_MKDIR).uint32(id).string(path).attrs({}).finish();
    case 'remove':
      return new PacketWriter(SSH_FXP_REMOVE).uint32(id).string(path).finish();
    case 'rename':
      return new PacketWriter(SSH_FXP_RENAME).uint32(id).string(path).string(`${path}x`).finish();
    case 'read':
      return new PacketWriter(SSH_FXP_READ).uint32(id).string(handle).uint64(id).uint32(1).finish();
    case 'write':
      return new PacketWriter(SSH_FXP_WRITE)
        .uint32(id)
        .string(handle)
        .uint64(id)
        .string(Buffer.from('x'))
        .finish();
  }
}

/** A session on a delaying handler, with `/file` open for reading and writing as request 0. */
async function openedFile(delays: readonly number[]) {
  const trace: Trace = { finished: new Set(), finishedBefore: new Map() };
  const { client } = startSession(delayingHandler(delays, trace));
  await client.init();
  const flags = SSH_FXF_READ | SSH_FXF_WRITE;
  client.send(
    new PacketWriter(SSH_FXP_OPEN).uint32(0).string('/file').uint32(flags).attrs({}).finish(),
  );
  return { client, trace, handle: await client.handle() };
}

const isData = (kind: Kind) => kind === 'read' || kind === 'write';

describe('SftpSession order', () => {
  it('answers in the order of the requests, and applies namespace requests in that order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ kind: fc.constantFrom(...KINDS), delay: fc.integer({ min: 0, max: 4 }) }),
          { minLength: 1, maxLength: 40 },
        ),
        async (requests) => {
          // ids 1..n are the requests; 0 is the OPEN before them
          const delays = [0, ...requests.map((r) => r.delay)];
          const { client, trace, handle } = await openedFile(delays);
          for (const [i, r] of requests.entries()) client.send(request(r.kind, i + 1, handle));
          const replyIds: number[] = [];
          for (const _ of requests) {
            replyIds.push(new PacketReader(await client.next(), 1).uint32());
          }
          expect(replyIds).toEqual(requests.map((_, i) => i + 1));
          requests.forEach((r, i) => {
            const id = i + 1;
            const before = trace.finishedBefore.get(id) ?? new Set();
            // what had to be finished when this request started
            const earlier = requests
              .slice(0, i)
              .map((e, j) => ({ kind: e.kind, id: j + 1 }))
              .filter((e) => !isData(r.kind) || !isData(e.kind));
            for (const e of earlier) expect(before.has(e.id), `${id} after ${e.id}`).toBe(true);
          });
          client.stream.end();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps reads and writes of an open file pipelined', async () => {
    const delays = Array.from({ length: 21 }, () => 20);
    const { client, trace, handle } = await openedFile(delays);
    for (let id = 1; id <= 20; id++) client.send(request('read', id, handle));
    for (let id = 1; id <= 20; id++) await client.next();
    // all twenty were under way at once: none waited for another to finish
    for (let id = 1; id <= 20; id++) expect(trace.finishedBefore.get(id)?.size).toBe(0);
    client.stream.end();
  });
});
