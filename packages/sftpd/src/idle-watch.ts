/**
 * Calls `onIdle` once nothing has happened for `timeoutMs`. {@link touch}
 * only notes the time, on the monotonic clock: the timer, when it fires
 * early for a connection that has been active since, waits again for what
 * is left. Moving the timer on every request instead (`refresh()`) costs a
 * call into the event loop each time, and a small file's transfer makes
 * three or four requests.
 */
export class IdleWatch {
  #activeAt = performance.now();
  #timer: NodeJS.Timeout;

  constructor(timeoutMs: number, onIdle: () => void) {
    const check = () => {
      const left = this.#activeAt + timeoutMs - performance.now();
      if (left >= 1) this.#timer = setTimeout(check, left).unref();
      else onIdle();
    };
    this.#timer = setTimeout(check, timeoutMs).unref();
  }

  /** Notes activity: the timeout counts from now. */
  touch(): void {
    this.#activeAt = performance.now();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}
