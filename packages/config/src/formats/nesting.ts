/**
 * How deep the values of a configuration file may nest, in every format:
 * far deeper than a configuration goes (four levels), and far below where
 * the loader's own recursion, over the values read, would overflow the stack.
 */
export const MAX_NESTING = 64;

/**
 * Throws if objects and arrays in `value` nest deeper than {@link MAX_NESTING};
 * walks them without recursion, so that any depth is measured.
 */
export function checkNesting(value: unknown): void {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > MAX_NESTING) throw new Error(`values nested deeper than ${MAX_NESTING} levels`);
    for (const child of Object.values(next.value)) pending.push({ value: child, depth });
  }
}
