/**
 * Runs `check` until it passes, every 100 ms for up to 5 s, for what another
 * process finishes on its own time; rethrows its last failure.
 */
export async function eventually(check: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await check();
    } catch (err) {
      if (i >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
