/** Whether `value` is a JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entriesWithout(
  object: Record<string, unknown>,
  nullAs: (key: string) => unknown,
): Record<string, unknown> {
  // keys defined, not assigned: a `__proto__` key (an own key of parsed JSON)
  // stays an unknown field, ignored as the reference server ignores it; assigned,
  // it would become the prototype, and the fields inside it read as sent
  return Object.fromEntries(
    Object.entries(object).flatMap(([key, value]) => {
      const kept = value === null ? nullAs(key) : value;
      return kept === undefined ? [] : [[key, kept]];
    }),
  );
}

/**
 * A user JSON with its nulls read as the reference server's Go decoder reads
 * them: a list set to null is empty (`public_keys`, the lists of `filters`);
 * any other field set to null is left as if absent, its stored value kept on
 * an update and its default taken on an add, inside `filesystem` and its
 * `s3config` and `gcsconfig` too. Clients generated from an
 * OpenAPI document send nulls for the fields they do not set.
 */
export function userJsonWithoutNulls(user: Record<string, unknown>): Record<string, unknown> {
  const result = entriesWithout(user, (key) => (key === 'public_keys' ? [] : undefined));
  const { filters, filesystem } = result;
  if (isJsonObject(filters)) result.filters = entriesWithout(filters, () => []);
  if (isJsonObject(filesystem)) {
    const fs = entriesWithout(filesystem, () => undefined);
    for (const key of ['s3config', 'gcsconfig']) {
      const config = fs[key];
      if (isJsonObject(config)) fs[key] = entriesWithout(config, () => undefined);
    }
    result.filesystem = fs;
  }
  return result;
}
