import { HttpError } from './api-response.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The query parameter `name`, of value `raw`, as Go's `strconv.Atoi` reads
 * it, any 64-bit integer with an optional sign; `fallback` when absent, 400
 * when not an integer (empty included).
 */
export function queryAtoi(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (/^[+-]?\d+$/.test(raw)) {
    const value = BigInt(raw);
    if (value >= INT64_MIN && value <= INT64_MAX) return Number(value);
  }
  throw new HttpError(400, `invalid ${name}: ${JSON.stringify(raw)} is not an integer`);
}
