import type { Duplex, Readable, Writable } from 'node:stream';
import { BufferPool, POOLED_FROM } from './buffer-pool.js';
import {
  DEFAULT_MAX_IN_FLIGHT,
  MAX_PACKET_LENGTH,
  SFTP_VERSION,
  SSH_FX_EOF,
  SSH_FX_FAILURE,
  SSH_FXP_CLOSE,
  SSH_FXP_DATA,
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
} from './constants.js';
import { SftpProtocolError, SftpStatusError, unsupported } from './errors.js';
import { advertisedExtensions, MAX_READ_LENGTH, serveExtended } from './extensions.js';
import { HandleTable } from './handle-table.js';
import type { SftpFile, SftpHandler } from './handler.js';
import { longname } from './longname.js';
import { PacketFramer } from './packet-framer.js';
import { PacketReader } from './packet-reader.js';
import {
  attrsReply,
  handleReply,
  nameReply,
  okReply,
  statusReply,
  versionReply,
} from './replies.js';

/**
 * Output ahead of the client, beyond which no new request is read: the
 * replies queued for it and the data that the READs being served will reply.
 */
const MAX_OUTPUT_AHEAD = 1024 * 1024;
/** Bytes before the payload of a DATA reply: length, type, id, data length. */
const DATA_HEADER = 13;
/** The data of a READ that most clients ask for at a time, OpenSSH's among them. */
const COMMON_READ = 32 * 1024;
/**
 * How long a session goes without a request before its pools let go of the
 * buffers they keep: up to {@link DEFAULT_MAX_IN_FLIGHT} packets of 256 KiB
 * after a large upload, which a client that stays connected would otherwise
 * hold for as long as it stays. Checked this often, rather than a timer moved
 * on every request: the buffers go between one and two such times after the
 * last request.
 */
const POOL_IDLE_MS = 2_000;

/** Smaller buffers come from Node's own pool, with no allocation of their own. */
const NODE_POOLED_UP_TO = 4 * 1024;

export interface SftpSessionOptions {
  /** Requests served concurrently before the engine stops reading ({@link DEFAULT_MAX_IN_FLIGHT}). */
  readonly maxInFlight?: number;
  /** Handles one session may hold open (default 512). */
  readonly maxHandles?: number;
  /** Called with errors that are not {@link SftpStatusError}, for logging. */
  readonly onUnexpectedError?: (err: unknown) => void;
  /**
   * The client sends SYMLINK as the draft says, link path first. OpenSSH and
   * most clients send the target first; the ssh2 npm client does so only
   * with servers that call themselves OpenSSH.
   */
  readonly draftSymlinkOrder?: boolean;
  /**
   * The output has copied each chunk, or handed it to the kernel, by the time
   * it calls back: sockets, SSH channels and files do. Large READ replies then
   * reuse their buffers. Leave it unset for in-memory streams such as a
   * PassThrough, which hand the very buffer on to their reader.
   */
  readonly outputCopies?: boolean;
  /**
   * The output cuts each write into packets of its own, as an SSH channel
   * does: the replies of one run of JavaScript are then joined and written
   * as one chunk. A READ reply of 32 KiB is 13 bytes over OpenSSH's packet
   * size; written alone, it takes a full packet and one of 13 bytes.
   */
  readonly joinReplies?: boolean;
  /** Called for each request read, to track the session's activity. */
  readonly onRequest?: () => void;
}

/** A session's two directions, when they are separate streams (stdin and stdout). */
export interface SftpStreams {
  readonly input: Readable;
  readonly output: Writable;
}

/** Why a session ended. */
export type SftpSessionEnd =
  | { readonly reason: 'eof' }
  | { readonly reason: 'protocol-error'; readonly error: SftpProtocolError };

/**
 * Serves SFTP version 3 on a Duplex stream (an SSH channel, a socket) or a
 * pair of streams (stdin and stdout),
 * calling `handler` for every request. Replies leave in the order of the
 * requests, as OpenSSH's server sends them; every request but READ and
 * WRITE starts once all those before it are served, and READ and WRITE run
 * concurrently, after the other requests sent before them. Reading stops
 * while too many are in flight or while the stream's writable side is full.
 *
 * @example
 * channel.on('ready', () => {
 *   const session = new SftpSession(channel, handler);
 *   session.ended.then(() => channel.end());
 * });
 */
export class SftpSession {
  /** Settles once the client has gone and every handle is closed. */
  readonly ended: Promise<SftpSessionEnd>;

  readonly #input: Readable;
  readonly #output: Writable;
  readonly #handler: SftpHandler;
  readonly #maxInFlight: number;
  readonly #onUnexpectedError: (err: unknown) => void;
  readonly #draftSymlinkOrder: boolean;
  readonly #handles: HandleTable;
  readonly #inFlight = new Set<Promise<void>>();
  /** The replies owed, in the order of their requests; each is sent once all before it are. */
  readonly #replies: ReplySlot[] = [];
  /**
   * The last request served in order (all but READ and WRITE) while it runs:
   * reads and writes received after it wait for it.
   */
  #barrier: Promise<void> | undefined;
  readonly #pool: BufferPool;
  /** Buffers for the replies to READs of up to {@link COMMON_READ} bytes. */
  readonly #readPool: BufferPool;
  readonly #outputCopies: boolean;
  readonly #joinReplies: boolean;
  readonly #onRequest: () => void;
  readonly #framer: PacketFramer;
  #initialized = false;
  #waitingForOutput = false;
  #inputEnded = false;
  /** Replies of the current run of JavaScript, written once it is over. */
  #unsent: Buffer[] = [];
  #unsentBytes = 0;
  /** Data asked for by the READs served and not yet handed to {@link #send}. */
  #readsAhead = 0;
  #stopped = false;
  /** Requests dispatched so far: unchanged over {@link POOL_IDLE_MS}, the session is idle. */
  #requests = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #resolveEnded!: (end: SftpSessionEnd) => void;
  readonly #onFlushed: () => void;

  constructor(
    stream: Duplex | SftpStreams,
    handler: SftpHandler,
    options: SftpSessionOptions = {},
  ) {
    const { input, output } = 'input' in stream ? stream : { input: stream, output: stream };
    this.#input = input;
    this.#output = output;
    this.#handler = handler;
    this.#maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.#handles = new HandleTable(options.maxHandles ?? 512);
    this.#pool = new BufferPool(4 + MAX_PACKET_LENGTH, this.#maxInFlight);
    this.#readPool = new BufferPool(DATA_HEADER + COMMON_READ, this.#maxInFlight);
    this.#framer = new PacketFramer(this.#pool);
    this.#onUnexpectedError = options.onUnexpectedError ?? (() => {});
    this.#draftSymlinkOrder = options.draftSymlinkOrder ?? false;
    this.#outputCopies = options.outputCopies ?? false;
    this.#joinReplies = options.joinReplies ?? false;
    this.#onRequest = options.onRequest ?? (() => {});
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
    input.on('data', (chunk: Buffer) => {
      this.#framer.push(chunk);
      this.#parse();
    });
    // The client's EOF: requests it sent before are still answered.
    input.on('end', () => {
      this.#inputEnded = true;
      this.#parse();
    });
    const gone = () => void this.#stop({ reason: 'eof' });
    for (const s of new Set<Readable | Writable>([input, output])) {
      s.on('close', gone);
      s.on('error', gone);
    }
    this.#onFlushed = () => {
      if (this.#waitingForOutput && this.#outputAhead() < MAX_OUTPUT_AHEAD) {
        this.#waitingForOutput = false;
        this.#parse();
      }
    };
  }

  #canServe(): boolean {
    if (this.#stopped || this.#inFlight.size >= this.#maxInFlight) return false;
    // Not 'drain', which waits for the queue to empty: the client would then
    // find the pipe idle while the next requests are read from disk.
    this.#waitingForOutput = this.#outputAhead() >= MAX_OUTPUT_AHEAD;
    return !this.#waitingForOutput;
  }

  #outputAhead(): number {
    return this.#output.writableLength + this.#unsentBytes + this.#readsAhead;
  }

  /** Takes every complete packet out of the buffered chunks, as flow control allows. */
  #parse(): void {
    while (this.#canServe() && this.#framer.buffered >= 4) {
      const length = this.#framer.peekLength();
      if (length === 0 || length > MAX_PACKET_LENGTH) {
        void this.#stop({
          reason: 'protocol-error',
          error: new SftpProtocolError(`packet length ${length} out of range`),
        });
        return;
      }
      if (this.#framer.buffered < 4 + length) break;
      this.#dispatch(this.#framer.take(4 + length).subarray(4));
    }
    if (this.#inputEnded) {
      // What is left can no longer become a whole packet.
      if (this.#framer.buffered < 4 || this.#canServe()) void this.#stop({ reason: 'eof' });
    } else if (this.#canServe()) this.#input.resume();
    else if (!this.#stopped) this.#input.pause();
  }

  #send(packet: Buffer): void {
    if (!this.#output.writable) {
      this.#release(packet);
      return;
    }
    // Replies of the same run of JavaScript leave together.
    this.#unsent.push(packet);
    this.#unsentBytes += packet.length;
    if (this.#unsent.length === 1) process.nextTick(this.#flush);
  }

  readonly #flush = (): void => {
    const packets = this.#unsent;
    if (packets.length === 0) return;
    this.#unsent = [];
    this.#unsentBytes = 0;
    const out = this.#output;
    if (!out.writable) {
      for (const packet of packets) this.#release(packet);
      return;
    }
    if (packets.length === 1) {
      // alone, it goes straight to the stream's _write: corked, it would be
      // queued and taken out again in the same call
      this.#writeReply(packets[0] as Buffer);
      return;
    }
    if (!this.#joinReplies) {
      // corked, so that a socket or pipe takes them in one system call
      out.cork();
      for (const packet of packets) this.#writeReply(packet);
      out.uncork();
      return;
    }
    this.#writeJoined(packets);
  };

  /** Writes one reply, whose buffer goes back to its pool once the output is done with it. */
  #writeReply(packet: Buffer): void {
    this.#output.write(packet, () => {
      this.#release(packet);
      this.#onFlushed();
    });
  }

  /** Writes `packets` as few chunks, each at most a pool buffer. */
  #writeJoined(packets: readonly Buffer[]): void {
    let i = 0;
    while (i < packets.length) {
      let bytes = 0;
      let end = i;
      while (
        end < packets.length &&
        (end === i || bytes + (packets[end] as Buffer).length <= this.#pool.size)
      ) {
        bytes += (packets[end] as Buffer).length;
        end++;
      }
      if (end === i + 1) {
        // one reply alone, too large to join with the next: written as it is
        this.#writeReply(packets[i++] as Buffer);
        continue;
      }
      // a buffer the output has copied once it calls back can be used again
      const pooled = this.#outputCopies && bytes <= this.#pool.size;
      const joined = pooled ? this.#pool.take() : Buffer.allocUnsafe(bytes);
      let at = 0;
      for (; i < end; i++) {
        const packet = packets[i] as Buffer;
        packet.copy(joined, at);
        at += packet.length;
        this.#release(packet);
      }
      this.#output.write(joined.subarray(0, bytes), () => {
        this.#pool.give(joined);
        this.#onFlushed();
      });
    }
  }

  #dispatch(packet: Buffer): void {
    this.#requests++;
    this.#onRequest();
    const type = packet[0]!;
    if (!this.#initialized) {
      if (type !== SSH_FXP_INIT) {
        void this.#stop({
          reason: 'protocol-error',
          error: new SftpProtocolError(`packet type ${type} received before SSH_FXP_INIT`),
        });
        return;
      }
      // INIT: uint32 version. Every client speaks at least 3; we answer 3.
      this.#initialized = true;
      this.#send(versionReply(SFTP_VERSION, advertisedExtensions(this.#handler)));
      return;
    }
    if (packet.length < 5) {
      void this.#stop({
        reason: 'protocol-error',
        error: new SftpProtocolError(`packet type ${type} has no request id`),
      });
      return;
    }
    const reader = new PacketReader(packet, 1);
    const id = reader.uint32();
    // OpenSSH's client asks for 255 KiB at a time, 64 at once: what those
    // READs will reply counts as output already, so that 16 MiB of replies
    // are not read from disk to wait for the channel's window
    const ahead = type === SSH_FXP_READ ? readLength(packet) : 0;
    this.#readsAhead += ahead;
    const slot: ReplySlot = { reply: undefined, ahead };
    this.#replies.push(slot);
    const ordered = type !== SSH_FXP_READ && type !== SSH_FXP_WRITE;
    const wait = ordered ? this.#everyEarlier() : this.#barrier;
    const served = wait
      ? wait.then(() => this.#serve(type, id, reader))
      : this.#serve(type, id, reader);
    // one reaction per request: each step chained on its own would be a
    // promise and a turn of the microtask queue more for every packet
    const work: Promise<void> = served.then(
      (reply) => this.#answer(slot, packet, work, () => fitReply(id, reply)),
      (err) => this.#answer(slot, packet, work, () => this.#errorReply(id, err)),
    );
    this.#inFlight.add(work);
    if (ordered) this.#barrier = work;
  }

  /** Fills in the reply of a served request, sends what is ready and reads on. */
  #answer(slot: ReplySlot, packet: Buffer, work: Promise<void>, reply: () => Buffer): void {
    try {
      slot.reply = reply();
      this.#sendInOrder();
    } finally {
      this.#pool.give(packet);
      this.#inFlight.delete(work);
      if (this.#barrier === work) this.#barrier = undefined;
      this.#parse();
      if (this.#inFlight.size === 0) this.#emptyPoolsWhenIdle();
    }
  }

  /**
   * Once no request has come for {@link POOL_IDLE_MS}, empties the pools.
   * Checked again while buffers are kept or still with the output, which
   * gives them back once written.
   */
  #emptyPoolsWhenIdle(): void {
    if (this.#idleTimer || this.#stopped) return;
    const holding = this.#pool.kept + this.#readPool.kept + this.#output.writableLength;
    if (holding === 0) return;
    const requests = this.#requests;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#inFlight.size > 0) return;
      if (this.#requests === requests) {
        this.#pool.clear();
        this.#readPool.clear();
      }
      this.#emptyPoolsWhenIdle();
    }, POOL_IDLE_MS).unref();
  }

  /** Settles once every request received so far has been served; none when there is none. */
  #everyEarlier(): Promise<unknown> | undefined {
    if (this.#inFlight.size === 0) return undefined;
    return Promise.allSettled(this.#inFlight);
  }

  /** Sends the replies that are ready, in the order of their requests. */
  #sendInOrder(): void {
    const replies = this.#replies;
    let sent = 0;
    while (sent < replies.length && (replies[sent] as ReplySlot).reply) {
      const slot = replies[sent] as ReplySlot;
      this.#readsAhead -= slot.ahead;
      this.#send(slot.reply as Buffer);
      sent++;
    }
    if (sent > 0) replies.splice(0, sent);
  }

  #errorReply(id: number, err: unknown): Buffer {
    if (err instanceof SftpStatusError) return statusReply(id, err.status, err.message);
    this.#onUnexpectedError(err);
    return statusReply(id, SSH_FX_FAILURE);
  }

  /**
   * Serves one request. Each type has a method of its own: one function with
   * every type in it is large to optimize, and V8 optimizes it again, whole,
   * each time a type it had not seen yet comes in.
   */
  #serve(type: number, id: number, r: PacketReader): Promise<Buffer> {
    switch (type) {
      case SSH_FXP_OPEN:
        return this.#open(id, r);
      case SSH_FXP_OPENDIR:
        return this.#opendir(id, r);
      case SSH_FXP_CLOSE:
        return this.#close(id, r);
      case SSH_FXP_READ:
        return this.#readRequest(id, r);
      case SSH_FXP_WRITE:
        return this.#write(id, r);
      case SSH_FXP_FSTAT:
        return this.#fstat(id, r);
      case SSH_FXP_FSETSTAT:
        return this.#fsetstat(id, r);
      case SSH_FXP_READDIR:
        return this.#readdir(id, r);
      case SSH_FXP_STAT:
        return this.#stat(id, r, false);
      case SSH_FXP_LSTAT:
        return this.#stat(id, r, true);
      case SSH_FXP_SETSTAT:
        return this.#setstat(id, r);
      case SSH_FXP_REMOVE:
        return this.#remove(id, r);
      case SSH_FXP_MKDIR:
        return this.#mkdir(id, r);
      case SSH_FXP_RMDIR:
        return this.#rmdir(id, r);
      case SSH_FXP_REALPATH:
        return this.#realpath(id, r);
      case SSH_FXP_RENAME:
        return this.#rename(id, r);
      case SSH_FXP_READLINK:
        return this.#readlink(id, r);
      case SSH_FXP_SYMLINK:
        return this.#symlink(id, r);
      case SSH_FXP_EXTENDED:
        return serveExtended(id, r, { handler: this.#handler, handles: this.#handles });
      default:
        return Promise.reject(unsupported(`packet type ${type}`));
    }
  }

  // uint32 id / string filename / uint32 pflags / ATTRS attrs
  async #open(id: number, r: PacketReader): Promise<Buffer> {
    const path = r.string();
    const pflags = r.uint32();
    const attrs = r.attrs();
    this.#handles.checkRoom();
    const file = await this.#handler.open(path, pflags, attrs);
    return handleReply(id, this.#handles.add({ kind: 'file', file, path }));
  }

  // uint32 id / string path
  async #opendir(id: number, r: PacketReader): Promise<Buffer> {
    const path = r.string();
    this.#handles.checkRoom();
    const dir = await this.#handler.opendir(path);
    return handleReply(id, this.#handles.add({ kind: 'dir', dir, path }));
  }

  // uint32 id / string handle
  async #close(id: number, r: PacketReader): Promise<Buffer> {
    await this.#handles.close(r.bytes());
    return okReply(id);
  }

  // uint32 id / string handle / uint64 offset / uint32 len
  async #readRequest(id: number, r: PacketReader): Promise<Buffer> {
    const handle = this.#handles.file(r.bytes());
    const offset = r.uint64();
    const len = Math.min(r.uint32(), MAX_READ_LENGTH);
    return this.#handles.track(handle, this.#read(id, handle.file, offset, len));
  }

  // uint32 id / string handle / uint64 offset / string data
  async #write(id: number, r: PacketReader): Promise<Buffer> {
    const handle = this.#handles.file(r.bytes());
    const offset = r.uint64();
    const data = r.bytes();
    await this.#handles.track(handle, handle.file.write(offset, data));
    return okReply(id);
  }

  // uint32 id / string handle
  async #fstat(id: number, r: PacketReader): Promise<Buffer> {
    const handle = this.#handles.file(r.bytes());
    return attrsReply(id, await this.#handles.track(handle, handle.file.stat()));
  }

  // uint32 id / string handle / ATTRS attrs
  async #fsetstat(id: number, r: PacketReader): Promise<Buffer> {
    const handle = this.#handles.file(r.bytes());
    const attrs = r.attrs();
    if (!handle.file.setstat) throw unsupported('fsetstat');
    await this.#handles.track(handle, handle.file.setstat(attrs));
    return okReply(id);
  }

  // uint32 id / string handle
  async #readdir(id: number, r: PacketReader): Promise<Buffer> {
    const handle = this.#handles.dir(r.bytes());
    const entries = await this.#handles.track(handle, handle.dir.read());
    if (entries === null) return statusReply(id, SSH_FX_EOF);
    const now = Date.now() / 1000;
    return nameReply(
      id,
      entries.map((e) => ({
        filename: e.filename,
        attrs: e.attrs,
        longname: longname(e.filename, e.attrs, now, e.nlink),
      })),
    );
  }

  // uint32 id / string path
  async #stat(id: number, r: PacketReader, lstat: boolean): Promise<Buffer> {
    const path = r.string();
    return attrsReply(id, await (lstat ? this.#handler.lstat(path) : this.#handler.stat(path)));
  }

  // uint32 id / string path / ATTRS attrs
  async #setstat(id: number, r: PacketReader): Promise<Buffer> {
    const path = r.string();
    const attrs = r.attrs();
    const h = this.#handler;
    if (!h.setstat) throw unsupported('setstat');
    await h.setstat(path, attrs, { followLinks: true });
    return okReply(id);
  }

  // uint32 id / string path
  async #remove(id: number, r: PacketReader): Promise<Buffer> {
    await this.#handler.remove(r.string());
    return okReply(id);
  }

  // uint32 id / string path / ATTRS attrs
  async #mkdir(id: number, r: PacketReader): Promise<Buffer> {
    const path = r.string();
    await this.#handler.mkdir(path, r.attrs());
    return okReply(id);
  }

  // uint32 id / string path
  async #rmdir(id: number, r: PacketReader): Promise<Buffer> {
    await this.#handler.rmdir(r.string());
    return okReply(id);
  }

  // uint32 id / string path
  async #realpath(id: number, r: PacketReader): Promise<Buffer> {
    const path = await this.#handler.realpath(r.string());
    return nameReply(id, [{ filename: path, longname: path, attrs: {} }]);
  }

  // uint32 id / string oldpath / string newpath
  async #rename(id: number, r: PacketReader): Promise<Buffer> {
    const from = r.string();
    await this.#handler.rename(from, r.string(), { overwrite: false });
    return okReply(id);
  }

  // uint32 id / string path
  async #readlink(id: number, r: PacketReader): Promise<Buffer> {
    const path = r.string();
    const h = this.#handler;
    if (!h.readlink) throw unsupported('readlink');
    const target = await h.readlink(path);
    return nameReply(id, [{ filename: target, longname: target, attrs: {} }]);
  }

  // OpenSSH sends (targetpath, linkpath), the reverse of the draft, and most
  // clients follow it; see SftpSessionOptions.draftSymlinkOrder.
  async #symlink(id: number, r: PacketReader): Promise<Buffer> {
    const first = r.string();
    const second = r.string();
    const [target, link] = this.#draftSymlinkOrder ? [second, first] : [first, second];
    const h = this.#handler;
    if (!h.symlink) throw unsupported('symlink');
    await h.symlink(link, target);
    return okReply(id);
  }

  /**
   * A buffer for a READ reply of `size` bytes: reused from a pool where the
   * output is done with what it was given once it calls back, so that a
   * download allocates no memory per reply.
   */
  #replyBuffer(size: number): Buffer {
    if (this.#outputCopies) {
      if (size >= POOLED_FROM) return this.#pool.take();
      if (size > NODE_POOLED_UP_TO && size <= this.#readPool.size) return this.#readPool.take();
    }
    return Buffer.allocUnsafe(size);
  }

  /** Gives a buffer back to the pool it came from, if it came from one. */
  #release(buffer: Buffer): void {
    this.#pool.give(buffer);
    this.#readPool.give(buffer);
  }

  async #read(id: number, file: SftpFile, offset: number, len: number): Promise<Buffer> {
    const reply = this.#replyBuffer(DATA_HEADER + len);
    let n: number;
    try {
      n = await file.read(offset, len, reply, DATA_HEADER);
    } catch (err) {
      this.#release(reply);
      throw err;
    }
    if (n === 0) {
      this.#release(reply);
      return statusReply(id, SSH_FX_EOF);
    }
    reply.writeUInt32BE(9 + n, 0);
    reply[4] = SSH_FXP_DATA;
    reply.writeUInt32BE(id, 5);
    reply.writeUInt32BE(n, 9);
    return reply.subarray(0, DATA_HEADER + n);
  }

  async #stop(end: SftpSessionEnd): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#idleTimer);
    if (end.reason === 'protocol-error') this.#input.pause();
    await Promise.allSettled(this.#inFlight);
    this.#flush();
    await this.#handles.closeAll();
    this.#resolveEnded(end);
  }
}

/** A reply owed to the client, filled in when its request has been served. */
interface ReplySlot {
  reply: Buffer | undefined;
  /** The data a READ asked for, counted in {@link SftpSession}'s output until the reply is sent. */
  readonly ahead: number;
}

/**
 * The data a READ packet asks for (its last field), as much as is served; 0 if
 * it is too short. Read from the packet as it is dispatched: the READ itself
 * is parsed once it is served, which may wait for an earlier request.
 */
function readLength(packet: Buffer): number {
  // type, id, handle's length, offset and length: 21 bytes with an empty handle
  if (packet.length < 21) return 0;
  return Math.min(packet.readUInt32BE(packet.length - 4), MAX_READ_LENGTH);
}

/** A reply too large for a client to accept becomes a failure status. */
function fitReply(id: number, reply: Buffer): Buffer {
  if (reply.length - 4 <= MAX_PACKET_LENGTH) return reply;
  return statusReply(id, SSH_FX_FAILURE, 'reply too large');
}
