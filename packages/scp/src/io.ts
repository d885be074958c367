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

/**
 * Pulls bytes from a Readable on demand, holding at most the chunk the
 * stream last gave: the stream stops its source while nothing is asked.
 */
export class ByteReader {
  readonly #stream: Readable;
  #pending: Buffer | null = null;
  #ended = false;
  #wake: (() => void) | undefined;
  readonly #onWake = (): void => {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  };
  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#onWake();
  };

  constructor(stream: Readable) {
    this.#stream = stream;
    stream.on('readable', this.#onWake);
    stream.on('end', this.#onEnd);
    stream.on('close', this.#onEnd);
    stream.on('error', this.#onEnd);
  }

  /** Stops listening to the stream. */
  dispose(): void {
    const s = this.#stream;
    s.off('readable', this.#onWake);
    s.off('end', this.#onEnd);
    s.off('close', this.#onEnd);
    s.off('error', this.#onEnd);
  }

  async #fill(): Promise<Buffer | null> {
    for (;;) {
      if (this.#pending && this.#pending.length > 0) return this.#pending;
      if (this.#stream.readableEnded || this.#stream.destroyed) this.#ended = true;
      const chunk: unknown = this.#ended ? null : this.#stream.read();
      if (chunk !== null) {
        this.#pending = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        continue;
      }
      if (this.#ended) return null;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** The next bytes available, at most `max`; `null` at the end of the stream. */
  async next(max: number): Promise<Buffer | null> {
    const pending = await this.#fill();
    if (!pending) return null;
    if (pending.length <= max) {
      this.#pending = null;
      return pending;
    }
    this.#pending = pending.subarray(max);
    return pending.subarray(0, max);
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
        this.#pending = pending.subarray(nl + 1);
        return { kind: 'line', line: Buffer.concat(parts, length) };
      }
      this.#pending = null;
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
