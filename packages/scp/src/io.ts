import type { Readable, Writable } from 'node:stream';

/** The peer closed the stream, or the stream failed: nothing more can be exchanged. */
export class ConnectionLost extends Error {
  override readonly name = 'ConnectionLost';
}

/** What {@link ByteReader.readLine} found. */
export type LineResult =
  | { readonly kind: 'line'; readonly line: Buffer }
  | { readonly kind: 'eof' }
  | { readonly kind: 'unterminated'; readonly partial: Buffer }
  | { readonly kind: 'too-long' };

/** What the reader holds ahead of what was asked: the stream is paused beyond it. */
const READ_AHEAD = 256 * 1024;

/**
 * Pulls bytes from a Readable on demand, chunk by chunk as the stream gives
 * them: pulling with `read()` would join whatever the stream holds into a
 * new buffer each time. The stream is paused while more than
 * {@link READ_AHEAD} bytes wait here, so that its own buffer fills and its
 * source stops (an SSH channel's window closes).
 */
export class ByteReader {
  readonly #stream: Readable;
  readonly #queue: Buffer[] = [];
  #queued = 0;
  #ended = false;
  #wake: (() => void) | undefined;
  readonly #onWake = (): void => {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  };
  readonly #onData = (chunk: Buffer | string): void => {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (data.length === 0) return;
    this.#queue.push(data);
    this.#queued += data.length;
    if (this.#queued > READ_AHEAD) this.#stream.pause();
    this.#onWake();
  };
  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#onWake();
  };

  constructor(stream: Readable) {
    this.#stream = stream;
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
    stream.on('close', this.#onEnd);
    stream.on('error', this.#onEnd);
    stream.resume();
  }

  /** Stops listening to the stream, and gives it back what was not read. */
  dispose(): void {
    const s = this.#stream;
    s.off('data', this.#onData);
    s.off('end', this.#onEnd);
    s.off('close', this.#onEnd);
    s.off('error', this.#onEnd);
    s.pause();
    if (!s.destroyed && !s.readableEnded) {
      for (let i = this.#queue.length - 1; i >= 0; i--) s.unshift(this.#queue[i]);
    }
    this.#queue.length = 0;
    this.#queued = 0;
  }

  async #fill(): Promise<Buffer | null> {
    for (;;) {
      const first = this.#queue[0];
      if (first) return first;
      if (this.#ended || this.#stream.readableEnded || this.#stream.destroyed) return null;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Takes `length` bytes off the front of the first chunk, which holds at least that many. */
  #consume(length: number): void {
    const first = this.#queue[0]!;
    if (length === first.length) this.#queue.shift();
    else this.#queue[0] = first.subarray(length);
    this.#queued -= length;
    if (this.#queued <= READ_AHEAD && this.#stream.isPaused() && !this.#ended) {
      this.#stream.resume();
    }
  }

  /** The next bytes available, at most `max`; `null` at the end of the stream. */
  async next(max: number): Promise<Buffer | null> {
    const pending = await this.#fill();
    if (!pending) return null;
    const taken = pending.length <= max ? pending : pending.subarray(0, max);
    this.#consume(taken.length);
    return taken;
  }

  /** Whether the stream ended with nothing left to read; waits for a byte or the end. */
  async atEnd(): Promise<boolean> {
    return (await this.#fill()) === null;
  }

  /** One byte, or `null` at the end of the stream. */
  async byte(): Promise<number | null> {
    const b = await this.next(1);
    return b ? b[0]! : null;
  }

  /** Bytes up to a newline (not included), reading no further than `maxLength` bytes. */
  async readLine(maxLength: number): Promise<LineResult> {
    const parts: Buffer[] = [];
    let length = 0;
    for (;;) {
      const pending = await this.#fill();
      if (!pending) {
        return length === 0
          ? { kind: 'eof' }
          : { kind: 'unterminated', partial: Buffer.concat(parts) };
      }
      const nl = pending.indexOf(0x0a);
      const take = nl === -1 ? pending.length : nl;
      if (length + take > maxLength) return { kind: 'too-long' };
      parts.push(pending.subarray(0, take));
      length += take;
      if (nl !== -1) {
        this.#consume(take + 1);
        return { kind: 'line', line: Buffer.concat(parts, length) };
      }
      this.#consume(take);
    }
  }
}

/** Writes to a Writable, waiting for `drain` when it asks to. */
export class ByteWriter {
  readonly #stream: Writable;
  #failure: Error | undefined;
  readonly #onError = (err: Error): void => {
    this.#failure ??= err;
  };

  constructor(stream: Writable) {
    this.#stream = stream;
    stream.on('error', this.#onError);
  }

  dispose(): void {
    this.#stream.off('error', this.#onError);
  }

  /** Whether writes can still reach the peer. */
  get usable(): boolean {
    const s = this.#stream;
    return !this.#failure && !s.destroyed && !s.writableEnded;
  }

  /**
   * Writes `data` and waits until the stream calls back, done with it. An
   * output that copies what it is given by then (an SSH channel, a socket)
   * leaves `data` free to be filled again.
   */
  async writeAndAwaitCallback(data: Buffer): Promise<void> {
    const s = this.#stream;
    if (!this.usable) throw new ConnectionLost('lost connection');
    await new Promise<void>((resolve, reject) => {
      // an ssh2 channel closed under a write never calls it back
      const onClose = (): void => {
        s.off('close', onClose);
        s.off('error', onClose);
        reject(new ConnectionLost('lost connection'));
      };
      s.on('close', onClose);
      s.on('error', onClose);
      s.write(data, (err) => {
        s.off('close', onClose);
        s.off('error', onClose);
        if (err) reject(new ConnectionLost('lost connection'));
        else resolve();
      });
    });
  }

  async write(data: Buffer | string): Promise<void> {
    const s = this.#stream;
    if (!this.usable) throw new ConnectionLost('lost connection');
    if (s.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        s.off('drain', onDrain);
        s.off('close', onClose);
        s.off('error', onError);
      };
      const onDrain = (): void => {
        cleanup();
        resolve();
      };
      const onClose = (): void => {
        cleanup();
        reject(new ConnectionLost('lost connection'));
      };
      const onError = (): void => onClose();
      s.on('drain', onDrain);
      s.on('close', onClose);
      s.on('error', onError);
    });
  }
}
