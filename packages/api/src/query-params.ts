import type { Request } from 'express';
import { HttpError } from './api-response.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The first value of the query parameter `name`, as the reference server's
 * `Query().Get` reads it: repeated, it must not become a list that a check
 * made for a string would pass over.
 */
export function queryParam(req: Request, name: string): string | undefined {
  const value: unknown = req.query[name];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

/**
 * The query parameter `name` as Go's `strconv.Atoi` reads it, any 64-bit
 * integer with an optional sign; `fallback` when absent, 400 when not an
 * integer (empty included).
 */
export function queryAtoi(req: Request, name: string, fallback: number): number {
  const raw = queryParam(req, name);
  if (raw === undefined) return fallback;
  if (/^[+-]?\d+$/.test(raw)) {
    const value = BigInt(raw);
    if (value >= INT64_MIN && value <= INT64_MAX) return Number(value);
  }
  throw new HttpError(400, `invalid ${name}: ${JSON.stringify(raw)} is not an integer`);
}
