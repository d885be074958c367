/**
 * The edits that turn `a` into `b`: insertions, deletions, substitutions
 * and swaps of two neighbours (optimal string alignment), the usual typos.
 */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The known key that `name` is most likely a misspelling of, if one is close enough. */
export function closestKey(name: string, known: Iterable<string>): string | undefined {
  const limit = Math.min(2, Math.floor((name.length - 1) / 3));
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(name, key);
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { key, distance };
    }
  }
  return best?.key;
}

/** A key of the configuration that names nothing, and the key it may be a misspelling of. */
export interface UnknownKey {
  readonly path: string;
  readonly suggestion?: string;
}

/** How a warning about an unknown key ends: it is ignored, and which key was likely meant. */
export function ignored(suggestion: string | undefined): string {
  return suggestion === undefined ? 'ignored' : `ignored: did you mean ${suggestion}?`;
}
