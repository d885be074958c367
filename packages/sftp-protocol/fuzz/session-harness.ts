import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  MAX_PACKET_LENGTH,
  PacketReader,
  SFTP_VERSION,
  type SftpHandler,
  SftpSession,
  type SftpSessionEnd,
  type SftpSessionOptions,
  SSH_FX_OP_UNSUPPORTED,
  SSH_FXP_ATTRS,
  SSH_FXP_DATA,
  SSH_FXP_EXTENDED,
  SSH_FXP_EXTENDED_REPLY,
  SSH_FXP_FSTAT,
  SSH_FXP_HANDLE,
  SSH_FXP_INIT,
  SSH_FXP_LSTAT,
  SSH_FXP_NAME,
  SSH_FXP_OPEN,
  SSH_FXP_OPENDIR,
  SSH_FXP_READ,
  SSH_FXP_READDIR,
  SSH_FXP_READLINK,
  SSH_FXP_REALPATH,
  SSH_FXP_STAT,
  SSH_FXP_STATUS,
  SSH_FXP_VERSION,
} from '@sftpgo/sftp-protocol';
import { duplexPair } from '@sftpgo/test-utils';
import { MemoryHandler } from './memory-handler.js';

interface Request {
  readonly type: number;
  readonly id: number;
}

/** What a correct engine makes of a client's byte stream. */
export interface ExpectedOutcome {
  /** Whether INIT came first, so that VERSION is the first reply. */
  readonly init: boolean;
  /** The requests it must answer, each exactly once. */
  readonly requests: readonly Request[];
  readonly protocolError: boolean;
}

/**
 * Frames `input` as the engine must: a length of 0 or above the limit,
 * anything but INIT first, and a packet too short to hold a request id end
 * the session; an incomplete packet at the end of the stream is never served.
 */
export function expectedOutcome(input: Buffer): ExpectedOutcome {
  const requests: Request[] = [];
  let init = false;
  for (let pos = 0; input.length - pos >= 4; ) {
    const length = input.readUInt32BE(pos);
    if (length === 0 || length > MAX_PACKET_LENGTH) return { init, requests, protocolError: true };
    if (input.length - pos - 4 < length) break;
    const type = input[pos + 4]!;
    if (!init) {
      if (type !== SSH_FXP_INIT) return { init, requests, protocolError: true };
      init = true;
    } else if (length < 5) {
      return { init, requests, protocolError: true };
    } else {
      requests.push({ type, id: input.readUInt32BE(pos + 5) });
    }
    pos += 4 + length;
  }
  return { init, requests, protocolError: false };
}

/** The replies besides STATUS that each request type may get. */
const SUCCESS_REPLIES: Readonly<Record<number, readonly number[]>> = {
  [SSH_FXP_OPEN]: [SSH_FXP_HANDLE],
  [SSH_FXP_OPENDIR]: [SSH_FXP_HANDLE],
  [SSH_FXP_READ]: [SSH_FXP_DATA],
  [SSH_FXP_READDIR]: [SSH_FXP_NAME],
  [SSH_FXP_REALPATH]: [SSH_FXP_NAME],
  [SSH_FXP_READLINK]: [SSH_FXP_NAME],
  [SSH_FXP_STAT]: [SSH_FXP_ATTRS],
  [SSH_FXP_LSTAT]: [SSH_FXP_ATTRS],
  [SSH_FXP_FSTAT]: [SSH_FXP_ATTRS],
  // Extensions answer with a reply of their own or, as expand-path does, NAME.
  [SSH_FXP_EXTENDED]: [SSH_FXP_EXTENDED_REPLY, SSH_FXP_NAME],
};

/** Reads a whole reply, throwing if it is malformed. */
export function readReply(packet: Buffer): Request & { status?: number } {
  const r = new PacketReader(packet);
  const type = r.uint8();
  const id = r.uint32();
  let status: number | undefined;
  switch (type) {
    case SSH_FXP_STATUS:
      // uint32 code / string message / string language tag
      status = r.uint32();
      if (status > SSH_FX_OP_UNSUPPORTED) throw new Error(`status code ${status}`);
      r.bytes();
      r.bytes();
      break;
    case SSH_FXP_HANDLE:
      if (r.bytes().length > 256) throw new Error('handle longer than 256 bytes');
      break;
    case SSH_FXP_DATA:
      r.bytes();
      break;
    case SSH_FXP_NAME:
      for (let count = r.uint32(); count > 0; count--) {
        r.bytes();
        r.bytes();
        r.attrs();
      }
      break;
    case SSH_FXP_ATTRS:
      r.attrs();
      break;
    case SSH_FXP_EXTENDED_REPLY:
      return { type, id }; // its layout is the extension's
    default:
      throw new Error(`reply type ${type}`);
  }
  if (r.remaining !== 0) throw new Error(`${r.remaining} bytes after the reply`);
  return { type, id, status };
}

function checkVersion(packet: Buffer | undefined): string[] {
  if (!packet || packet[0] !== SSH_FXP_VERSION) return ['the first reply is not VERSION'];
  const r = new PacketReader(packet, 1);
  if (r.uint32() !== SFTP_VERSION) return ['VERSION does not say 3'];
  while (r.remaining > 0) r.bytes(); // extension name and data pairs
  return [];
}

/** How many request types a reply type may answer. */
function fits(replyType: number): number {
  if (replyType === SSH_FXP_STATUS) return Number.POSITIVE_INFINITY;
  return Object.values(SUCCESS_REPLIES).filter((types) => types.includes(replyType)).length;
}

/**
 * Matches replies to requests by id, which a client may repeat. The sets of
 * request types that reply types answer are nested or disjoint, so matching
 * the narrowest first (EXTENDED_REPLY before NAME before STATUS) never leaves
 * a reply without the request it was for.
 */
function matchReplies(requests: readonly Request[], replies: readonly Buffer[]): string[] {
  const problems: string[] = [];
  const pending = new Map<number, number[]>();
  for (const { id, type } of requests) pending.set(id, [...(pending.get(id) ?? []), type]);
  const read = replies.map(readReply);
  read.sort((a, b) => fits(a.type) - fits(b.type));
  for (const { type, id } of read) {
    const types = pending.get(id) ?? [];
    const i = types.findIndex((t) => type === SSH_FXP_STATUS || SUCCESS_REPLIES[t]?.includes(type));
    if (i < 0) problems.push(`reply type ${type} with id ${id} answers no request`);
    else types.splice(i, 1);
  }
  const unanswered = [...pending.values()].flat().length;
  if (unanswered > 0) problems.push(`${unanswered} requests never answered`);
  return problems;
}

/** Collects the packets the engine writes, and says when `wanted` of them have come. */
function collectReplies(stream: Duplex, wanted: number) {
  const replies: Buffer[] = [];
  const problems: string[] = [];
  let rest: Buffer = Buffer.alloc(0);
  let misframed = false;
  let enough!: () => void;
  const done = new Promise<void>((resolve) => {
    enough = resolve;
  });
  stream.on('data', (chunk: Buffer) => {
    rest = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    while (rest.length >= 4 && !misframed) {
      const length = rest.readUInt32BE(0);
      if (length < 5) {
        problems.push(`reply length ${length}: the reply stream is misframed`);
        misframed = true;
      } else if (rest.length < 4 + length) break;
      else {
        // OpenSSH's client gives up on a reply longer than it would send itself.
        if (length > MAX_PACKET_LENGTH) problems.push(`reply of ${length} bytes`);
        replies.push(rest.subarray(4, 4 + length));
        rest = rest.subarray(4 + length);
      }
    }
    if (replies.length >= wanted || misframed) enough();
  });
  if (wanted === 0) enough();
  return { replies, problems, done };
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, ms, 'timeout');
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface RunOptions {
  /** Defaults to a fresh {@link MemoryHandler}, whose handle accounting is then checked too. */
  readonly handler?: SftpHandler;
  readonly sessionOptions?: SftpSessionOptions;
  /** How long the engine may take to answer everything, and then to end. */
  readonly timeoutMs?: number;
}

/**
 * Writes `chunks` to a new session over an in-memory duplex, each on its own
 * turn of the event loop as from a network (so that an OPEN may complete
 * before the READ that follows it), waits for the replies that
 * {@link expectedOutcome} says are due, then ends the client side and checks
 * everything the engine did. Returns what went wrong, the replies, and how
 * the session ended.
 */
export async function runSession(
  chunks: readonly Buffer[],
  options: RunOptions = {},
): Promise<{ problems: string[]; replies: Buffer[]; end?: SftpSessionEnd }> {
  const { timeoutMs = 5000 } = options;
  const expected = expectedOutcome(Buffer.concat(chunks));
  const memory = options.handler ? undefined : new MemoryHandler();
  const [server, client] = duplexPair();
  const session = new SftpSession(server, options.handler ?? memory!, options.sessionOptions);
  const { replies, problems, done } = collectReplies(
    client,
    expected.requests.length + (expected.init ? 1 : 0),
  );
  for (const [i, chunk] of chunks.entries()) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    client.write(chunk);
  }

  // Half-close only once the replies due have come: requests still queued
  // behind maxInFlight at the client's EOF are not served (nor are they by
  // OpenSSH's sftp-server, which exits at EOF).
  const answered = await within(Promise.race([done, session.ended]), timeoutMs);
  client.end();
  const end = answered === 'timeout' ? answered : await within(session.ended, timeoutMs);
  if (end === 'timeout') {
    server.destroy();
    client.destroy();
    return { problems: ['hang: the session neither answered nor ended'], replies };
  }
  server.end();
  if ((await within(once(client, 'end'), timeoutMs)) === 'timeout') {
    return { problems: ['hang: the reply stream never ended'], replies };
  }

  if (expected.protocolError !== (end.reason === 'protocol-error')) {
    problems.push(`ended with ${end.reason}, expected protocolError=${expected.protocolError}`);
  }
  try {
    if (expected.init) problems.push(...checkVersion(replies[0]));
    problems.push(...matchReplies(expected.requests, replies.slice(expected.init ? 1 : 0)));
  } catch (err) {
    problems.push(`malformed reply: ${(err as Error).message}`);
  }
  if (memory?.openHandles) problems.push(`${memory.openHandles} handles left open`);
  if (memory?.misuses) problems.push(`${memory.misuses} calls on closed handles`);
  return { problems, replies, end };
}
