import type { Reply, Request } from './messages.js';

/**
 * Questions to the process at the other end of an IPC channel, each answered
 * by a reply of the same id. A question unanswered within the time limit,
 * or when the channel closes, is rejected rather than left waiting.
 */
export class IpcRequests<Body> {
  readonly #send: (message: Request<Body>) => void;
  readonly #timeoutMs: number;
  readonly #pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }
  >();
  #next = 1;

  constructor(send: (message: Request<Body>) => void, timeoutMs: number) {
    this.#send = send;
    this.#timeoutMs = timeoutMs;
  }

  ask(body: Body): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no answer from the other process within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      try {
        this.#send({ type: 'request', id, body });
      } catch (err) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(err as Error);
      }
    });
  }

  /** Settles the question that `reply` answers. */
  settle(reply: Reply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.error !== undefined) pending.reject(new Error(reply.error));
    else pending.resolve(reply.value);
  }

  /** Rejects every question still waiting: the other process is gone. */
  abandon(reason: string): void {
    for (const { reject, timer } of this.#pending.values()) {
      clearTimeout(timer);
      reject(new Error(reason));
    }
    this.#pending.clear();
  }
}

/** Answers `request` with what `answer` resolves to, or the error it throws. */
export async function answer<Body>(
  request: Request<Body>,
  answer: (body: Body) => unknown,
  send: (reply: Reply) => void,
): Promise<void> {
  try {
    send({ type: 'reply', id: request.id, value: await answer(request.body) });
  } catch (err) {
    send({ type: 'reply', id: request.id, error: (err as Error).message });
  }
}
