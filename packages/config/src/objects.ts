/** A parsed mapping: the kind of value that holds keys. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Sets an own property even for a key such as `__proto__`, which plain
 * assignment would take as the prototype: the schema then refuses it as an
 * unknown key.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Gets an own property only, so that `__proto__` or `toString` read as absent. */
export function getOwn(target: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(target, key) ? target[key] : undefined;
}

/**
 * Sets `value` at the dotted `path` of a flat source (an .env or .properties
 * file), creating the sections on the way. Throws when one key is given both
 * a value and keys inside it; a value given twice keeps the last.
 */
export function setNested(
  target: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): void {
  const conflict = (at: readonly string[]) =>
    new Error(`"${at.join('.')}" has both a value and keys inside it`);
  let section = target;
  for (const [i, key] of path.slice(0, -1).entries()) {
    const existing = getOwn(section, key);
    if (existing === undefined) {
      const created: Record<string, unknown> = {};
      setOwn(section, key, created);
      section = created;
    } else if (isRecord(existing)) {
      section = existing;
    } else {
      throw conflict(path.slice(0, i + 1));
    }
  }
  const last = path[path.length - 1]!;
  if (isRecord(getOwn(section, last))) throw conflict(path);
  setOwn(section, last, value);
}
