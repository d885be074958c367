import type { User } from './user.js';

/**
 * A change of a user's used quota: deltas added to the stored counters, or
 * absolute values that replace them (the result of a quota scan).
 */
export type QuotaChange =
  | { readonly sizeDelta: number; readonly filesDelta: number }
  | { readonly reset: { readonly size: number; readonly files: number } };

/** Every problem of `change`; empty when it can be stored. */
export function quotaChangeProblems(change: QuotaChange): string[] {
  const problems: string[] = [];
  const check = (name: string, value: number, min: number): void => {
    if (!Number.isSafeInteger(value)) problems.push(`${name}: must be an integer`);
    else if (value < min) problems.push(`${name}: must not be negative`);
  };
  if ('reset' in change) {
    check('reset.size', change.reset.size, 0);
    check('reset.files', change.reset.files, 0);
  } else {
    check('sizeDelta', change.sizeDelta, Number.MIN_SAFE_INTEGER);
    check('filesDelta', change.filesDelta, Number.MIN_SAFE_INTEGER);
  }
  return problems;
}

/** `user` with `change` applied and `last_quota_update` set to `now`: for stores that keep whole users. */
export function withQuotaChange(user: User, change: QuotaChange, now = Date.now()): User {
  const reset = 'reset' in change;
  return {
    ...user,
    // never below zero, as the SQL stores do
    used_quota_size: reset
      ? change.reset.size
      : Math.max(0, user.used_quota_size + change.sizeDelta),
    used_quota_files: reset
      ? change.reset.files
      : Math.max(0, user.used_quota_files + change.filesDelta),
    last_quota_update: now,
  };
}
