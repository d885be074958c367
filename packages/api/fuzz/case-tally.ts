// What the cases of a run reached, printed after it: a run whose requests
// all bounce off the same 400 passes its checks while testing little.
import type { Answer, Operation } from './answer-checks.js';

export class CaseTally {
  readonly #operations: readonly Operation[];
  /** Answers by operation (or method, for paths the API lacks), then by status. */
  readonly #statuses = new Map<string, Map<number, number>>();
  /** Quota scans that failed, by the reason's first words. */
  readonly #scanFailures = new Map<string, number>();
  /** Changes to the watched users that answers acknowledged. */
  readonly acknowledged = { updates: 0, deletes: 0, loads: 0 };

  constructor(operations: readonly Operation[]) {
    this.#operations = operations;
  }

  count(answer: Answer): void {
    const operation =
      this.#operations.find((op) => op.method === answer.method && op.pattern.test(answer.pathname))
        ?.name ?? `${answer.method.toLowerCase()} (other)`;
    const byStatus = this.#statuses.get(operation) ?? new Map<number, number>();
    byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
    this.#statuses.set(operation, byStatus);
  }

  countScanFailure(why: string): void {
    this.#scanFailures.set(why, (this.#scanFailures.get(why) ?? 0) + 1);
  }

  render(): string {
    const lines = [...this.#statuses].sort().map(([operation, byStatus]) => {
      const counts = [...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
      return `  ${operation}: ${counts.join(' ')}`;
    });
    const { updates, deletes, loads } = this.acknowledged;
    lines.push(
      `  watched users: ${updates} updates, ${deletes} deletes, ${loads} loads acknowledged`,
    );
    const failed = [...this.#scanFailures].map(([why, n]) => `${why}×${n}`).join(' ');
    lines.push(`  quota scans failed (home dirs that cannot exist): ${failed || 'none'}`);
    return lines.join('\n');
  }
}
