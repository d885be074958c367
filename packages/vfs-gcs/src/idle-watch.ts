/** A store that stopped answering: nothing moved for `ms` while a transfer waited on it. */
export class IdleTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`no answer from the storage for ${ms / 1000} s`);
    this.name = 'IdleTimeoutError';
  }
}

/**
 * Bounds the wait on a store that accepts a request and never answers,
 * which Google's library would wait on forever. Armed only while the caller
 * waits on the store (a write held back, a read, the end of an upload), and
 * restarted by each sign of progress, it calls `onIdle` once `ms` pass
 * without one.
 */
export class IdleWatch {
  readonly #ms: number;
  readonly #onIdle: () => void;
  #waiting = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number, onIdle: () => void) {
    this.#ms = ms;
    this.#onIdle = onIdle;
  }

  /** Bytes moved: the store is alive. */
  progress(): void {
    if (this.#waiting > 0) this.#arm();
  }

  /** `wait`, with the watch armed until it settles. */
  async during<T>(wait: Promise<T>): Promise<T> {
    if (this.#waiting++ === 0) this.#arm();
    try {
      return await wait;
    } finally {
      if (--this.#waiting === 0) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    }
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#onIdle();
    }, this.#ms);
  }
}
