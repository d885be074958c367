import type { Socket } from 'node:net';
import { pooledRandomFill } from './pooled-random-fill.js';

/** Bytes in one slab of packet memory: some thirty packets of 32 KiB. */
const SLAB_BYTES = 1024 * 1024;
/** Free slabs kept for reuse; beyond that, a slab whose packets were written is left to the collector. */
const FREE_SLABS_KEPT = 4;
/**
 * Packets with a payload smaller than this keep ssh2's allocation: Node
 * serves buffers under 4 KiB from a pool of its own, with no `malloc`.
 */
const ARENA_FROM_PAYLOAD = 4096;
/** Payload sizes whose packet layout a cipher remembers; others keep ssh2's allocation. */
const LAYOUTS_KEPT = 64;

interface Slab {
  readonly memory: Buffer;
  /** Bytes handed out, from the start. */
  used: number;
  /** Writes of its memory that the socket has not finished. */
  pending: number;
  /** Full: it hands out nothing more, and is free again once `pending` is 0. */
  retired: boolean;
}

/** The parts of an ssh2 cipher that build a packet: the length, padding and room for the MAC. */
interface PacketCipher {
  allocPacket(payloadLength: number): Buffer;
}

/** The parts of ssh2's server-side `Connection` that the arena reaches (ssh2 1.x internals). */
interface Ssh2Connection {
  readonly _sock?: unknown;
  readonly _protocol?: object;
}

/** What ssh2's `allocPacket` writes for a payload size, besides the padding's random bytes. */
interface PacketLayout {
  readonly size: number;
  readonly lengthField: number;
  readonly padding: number;
}

/** Where a cipher given the arena's `allocPacket` keeps what it needs. */
const ARENA_PACKETS = Symbol('packet arena');

interface ArenaPackets {
  /** ssh2's own `allocPacket` of the cipher. */
  readonly allocate: (this: PacketCipher, payloadLength: number) => Buffer;
  /** The layouts of the payload sizes seen, at most {@link LAYOUTS_KEPT}. */
  readonly layouts: Map<number, PacketLayout>;
  readonly arena: PacketArena;
}

interface ArenaCipher extends PacketCipher {
  [ARENA_PACKETS]: ArenaPackets;
}

/**
 * Memory for the SSH packets ssh2 sends, reused once the socket has written
 * them. ssh2 allocates every packet anew (a `malloc` for each 32 KiB of a
 * download): the memory is faulted in as the data is copied into it, freed
 * only when V8 collects, and glibc gives the heap back to the system and
 * takes it again as it goes. Here packets are cut from slabs of 1 MiB, and a
 * full slab is used again once every write of its memory has completed.
 *
 * A socket is {@link watch}ed before ssh2 gets it, and each of its
 * connections {@link supply supplied} once ssh2 has it; a connection whose
 * socket is not watched keeps ssh2's own allocation.
 */
export class PacketArena {
  readonly #slabs = new WeakMap<ArrayBufferLike, Slab>();
  readonly #free: Slab[] = [];
  readonly #watched = new WeakSet<object>();
  readonly #fillPadding = pooledRandomFill();
  #current: Slab | undefined;
  #created = 0;

  /** Slabs allocated so far. */
  get slabsCreated(): number {
    return this.#created;
  }

  /** `size` bytes, from the current slab. */
  take(size: number): Buffer {
    if (size > SLAB_BYTES) return Buffer.allocUnsafe(size);
    let slab = this.#current;
    if (slab === undefined || slab.used + size > SLAB_BYTES) {
      if (slab !== undefined) this.#retire(slab);
      slab = this.#free.pop() ?? this.#newSlab();
      this.#current = slab;
    }
    const start = slab.used;
    slab.used = start + ((size + 7) & ~7);
    return slab.memory.subarray(start, start + size);
  }

  /**
   * Marks `chunk` as being written, if it is arena memory: the returned
   * function is to be called once the write has completed or failed.
   */
  pin(chunk: unknown): (() => void) | undefined {
    if (!(chunk instanceof Uint8Array)) return undefined;
    const slab = this.#slabs.get(chunk.buffer);
    if (slab === undefined) return undefined;
    slab.pending++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--slab.pending === 0 && slab.retired) this.#recycle(slab);
    };
  }

  /**
   * Pins the arena memory written to `socket` until the socket has written
   * it. Call before the socket is handed to ssh2.
   */
  watch(socket: Socket): void {
    const write = socket.write as (this: Socket, ...args: unknown[]) => boolean;
    const pin = (chunk: unknown) => this.pin(chunk);
    socket.write = function writePinned(this: Socket, chunk: unknown, ...rest: unknown[]) {
      const release = pin(chunk);
      if (release === undefined) return write.call(this, chunk, ...rest);
      // ssh2 writes buffers: the encoding, if any, means nothing
      const callback = rest.find((a) => typeof a === 'function') as
        | ((err?: Error | null) => void)
        | undefined;
      return write.call(this, chunk, (err?: Error | null) => {
        release();
        callback?.(err);
      });
    } as Socket['write'];
    this.#watched.add(socket);
  }

  /**
   * Makes the packets of an ssh2 server connection come from the arena from
   * its next key exchange on, if its socket is {@link watch}ed. False when it
   * is not, or when the connection is not built as the ssh2 release this
   * was written for builds it.
   */
  supply(connection: object): boolean {
    const { _sock: socket, _protocol: protocol } = connection as Ssh2Connection;
    if (typeof socket !== 'object' || socket === null || !this.#watched.has(socket)) return false;
    if (protocol === undefined) return false;
    const own = Object.getOwnPropertyDescriptor(protocol, '_cipher');
    if (own === undefined || !('value' in own) || !own.writable) return false;
    // ssh2 sets a new cipher at each key exchange: each is supplied as it is set
    let cipher = own.value as PacketCipher;
    Object.defineProperty(protocol, '_cipher', {
      configurable: true,
      enumerable: own.enumerable ?? true,
      get: () => cipher,
      set: (next: PacketCipher) => {
        cipher = next;
        this.#allocateFor(next);
      },
    });
    return true;
  }

  /**
   * Replaces the cipher's `allocPacket` with one that cuts packets from the
   * arena. The layout of a packet (its size with padding and MAC, its length
   * field and padding length) depends only on the payload's size and the
   * cipher: it is taken from ssh2's own `allocPacket` the first time a size
   * is seen, so the rules of each cipher stay ssh2's.
   */
  #allocateFor(cipher: PacketCipher): void {
    const allocate = cipher.allocPacket;
    // the same cipher set again keeps what it was given
    if (typeof allocate !== 'function' || allocate === allocPacketFromArena) return;
    (cipher as ArenaCipher)[ARENA_PACKETS] = { allocate, layouts: new Map(), arena: this };
    cipher.allocPacket = allocPacketFromArena;
  }

  /**
   * A packet of `layout` for a payload of `payloadLength` bytes, from the
   * current slab: its length, padding length and padding filled in.
   */
  packetOf(layout: PacketLayout, payloadLength: number): Buffer {
    const packet = this.take(layout.size);
    packet.writeUInt32BE(layout.lengthField, 0);
    packet[4] = layout.padding;
    this.#fillPadding(packet, 5 + payloadLength, layout.padding);
    return packet;
  }

  #newSlab(): Slab {
    const slab: Slab = {
      memory: Buffer.allocUnsafeSlow(SLAB_BYTES),
      used: 0,
      pending: 0,
      retired: false,
    };
    this.#slabs.set(slab.memory.buffer, slab);
    this.#created++;
    return slab;
  }

  #retire(slab: Slab): void {
    slab.retired = true;
    // A packet just cut from this slab may not be written yet: ssh2 writes
    // each one in the same run of JavaScript that cut it, so look once that
    // run is over.
    process.nextTick(() => {
      if (slab.retired && slab.pending === 0) this.#recycle(slab);
    });
  }

  #recycle(slab: Slab): void {
    slab.retired = false;
    slab.used = 0;
    if (this.#free.length < FREE_SLABS_KEPT) this.#free.push(slab);
  }
}

/**
 * The `allocPacket` of every cipher the arena supplies: one function for all
 * of them, its state on the cipher. A closure for each cipher would have
 * V8's optimized code of ssh2's callers hold the first connection's
 * closure, then throw that code away and optimize it again each time a
 * connection ended.
 */
function allocPacketFromArena(this: ArenaCipher, payloadLength: number): Buffer {
  const state = this[ARENA_PACKETS];
  if (payloadLength < ARENA_FROM_PAYLOAD) return state.allocate.call(this, payloadLength);
  const layout = state.layouts.get(payloadLength);
  if (layout !== undefined) return state.arena.packetOf(layout, payloadLength);
  const packet = state.allocate.call(this, payloadLength);
  if (state.layouts.size < LAYOUTS_KEPT) {
    state.layouts.set(payloadLength, {
      size: packet.length,
      lengthField: packet.readUInt32BE(0),
      padding: packet[4] ?? 0,
    });
  }
  return packet;
}
