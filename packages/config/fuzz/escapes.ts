// Exceptions and rejections that reach the process: the loader let them
// escape, or left a promise rejected with no one to catch it.

export interface Escapes {
  /** Throws what escaped since the last call, once late rejections have had a turn to surface. */
  check(): Promise<void>;
  stop(): void;
}

/** Catches what reaches the process from now on, instead of letting it end the run. */
export function catchEscapes(): Escapes {
  const escaped: unknown[] = [];
  const collect = (err: unknown) => {
    escaped.push(err);
  };
  process.on('uncaughtException', collect);
  process.on('unhandledRejection', collect);
  return {
    async check() {
      await new Promise((resolve) => setImmediate(resolve));
      const found = escaped.splice(0);
      if (found.length === 0) return;
      const first = found[0] as Error | undefined;
      throw new Error(
        `${found.length} exception(s) escaped to the process: ${first?.stack ?? first}`,
      );
    },
    stop() {
      process.off('uncaughtException', collect);
      process.off('unhandledRejection', collect);
    },
  };
}
