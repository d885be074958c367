/**
 * How many of each key are held (logins by user, connections by address),
 * each count stopping at none, so that what was held can be given back.
 */
export class KeyCounts {
  readonly #counts = new Map<string, number>();

  /** How many of `key` are held. */
  count(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  add(key: string): void {
    this.#counts.set(key, this.count(key) + 1);
  }

  /** Takes one `key` away; false when none was held. */
  remove(key: string): boolean {
    const held = this.count(key);
    if (held === 0) return false;
    if (held > 1) this.#counts.set(key, held - 1);
    else this.#counts.delete(key);
    return true;
  }

  /** Empties the counts, calling `release` once for each one held. */
  drain(release: (key: string) => void): void {
    for (const [key, held] of this.#counts) {
      for (let i = 0; i < held; i++) release(key);
    }
    this.#counts.clear();
  }
}
