// What a case cannot see from its own promise: errors that reach the
// process, and how far the heap climbed while the program was read.

/** Heap in use, JavaScript objects and buffers both: a program's output may be held in either. */
function heapInUse(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/**
 * Samples the heap until stopped. The peak is what matters: output read
 * without a limit is garbage once the login is refused, and may be gone by
 * the end of the case.
 */
export class HeapPeak {
  readonly #baseline = heapInUse();
  #peak = this.#baseline;
  readonly #timer = setInterval(() => this.#sample(), 5);

  #sample(): void {
    this.#peak = Math.max(this.#peak, heapInUse());
  }

  /** Stops sampling; the growth from the start to the peak, in bytes. */
  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    return this.#peak - this.#baseline;
  }
}

/** Collects the uncaught exceptions and unhandled rejections of the process while installed. */
export class ProcessErrors {
  #errors: unknown[] = [];
  readonly #record = (err: unknown) => {
    this.#errors.push(err);
  };

  constructor() {
    process.on('uncaughtException', this.#record);
    process.on('unhandledRejection', this.#record);
  }

  /** The errors since the last call. */
  take(): unknown[] {
    const errors = this.#errors;
    this.#errors = [];
    return errors;
  }

  close(): void {
    process.off('uncaughtException', this.#record);
    process.off('unhandledRejection', this.#record);
  }
}
