import { ValidationError } from './errors.js';
import type { UserQuery } from './provider.js';

export const DEFAULT_LIST_LIMIT = 100;

/** A user query with its defaults filled in. */
export interface NormalizedUserQuery {
  readonly limit: number;
  readonly offset: number;
  readonly order: 'ASC' | 'DESC';
  readonly username: string | undefined;
}

/**
 * Fills in the defaults of `query`.
 * @throws {ValidationError} when limit or offset is not a non-negative integer, or order is unknown
 */
export function normalizeUserQuery(query: UserQuery = {}): NormalizedUserQuery {
  const { limit = DEFAULT_LIST_LIMIT, offset = 0, order = 'ASC', username } = query;
  const problems: string[] = [];
  if (!Number.isSafeInteger(limit) || limit < 0)
    problems.push('limit: must be a non-negative integer');
  if (!Number.isSafeInteger(offset) || offset < 0)
    problems.push('offset: must be a non-negative integer');
  if (order !== 'ASC' && order !== 'DESC') problems.push('order: must be "ASC" or "DESC"');
  if (problems.length > 0) throw new ValidationError(problems);
  return { limit, offset, order, username: username === '' ? undefined : username };
}
