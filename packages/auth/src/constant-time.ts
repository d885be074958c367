import { timingSafeEqual } from 'node:crypto';

/**
 * Whether `a` and `b` hold the same bytes, in a time that depends on their
 * lengths only (which are not secret: they follow from the stored form).
 */
export function equalsInConstantTime(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const left = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const right = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return left.length === right.length && timingSafeEqual(left, right);
}
