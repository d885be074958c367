/**
 * Memory shared by the uploads of a whole server: each upload to an object
 * store buffers up to a fixed amount (parts in flight), so thousands of
 * uploads at once could exhaust memory. An upload reserves its amount before
 * it buffers anything, and waits, first come first served, while the budget
 * is spent; the reservation is returned when the upload ends.
 */
export class UploadBudget {
  readonly #total: number;
  #free: number;
  readonly #waiting: { readonly bytes: number; readonly grant: () => void }[] = [];

  /** `totalBytes` to share; one upload larger than it still runs, alone. */
  constructor(totalBytes: number) {
    this.#total = Math.max(1, totalBytes);
    this.#free = this.#total;
  }

  /** The bytes not reserved now. */
  get available(): number {
    return this.#free;
  }

  /** Waits for `bytes` (at most the whole budget) and returns the function that gives them back. */
  async reserve(bytes: number): Promise<() => void> {
    const amount = Math.min(Math.max(0, bytes), this.#total);
    if (this.#waiting.length === 0 && this.#free >= amount) {
      this.#free -= amount;
    } else {
      await new Promise<void>((grant) => this.#waiting.push({ bytes: amount, grant }));
    }
    let returned = false;
    return () => {
      if (returned) return;
      returned = true;
      this.#free += amount;
      this.#grant();
    };
  }

  #grant(): void {
    for (let next = this.#waiting[0]; next && this.#free >= next.bytes; next = this.#waiting[0]) {
      this.#waiting.shift();
      this.#free -= next.bytes;
      next.grant();
    }
  }
}
