import type { z } from 'zod';
import { type Config, ConfigSchema } from './schema.js';

/** A configuration that cannot be used; the message names its source and each bad key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const at = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `unknown key "${at ? `${at}.` : ''}${k}"`).join('; ');
  }
  return at ? `"${at}": ${issue.message}` : issue.message;
}

/** Throws one ConfigError for problems from several sources, grouped by source. */
export function throwProblems(problems: ReadonlyArray<{ source: string; text: string }>): never {
  const bySource = new Map<string, string[]>();
  for (const { source, text } of problems) {
    bySource.set(source, [...(bySource.get(source) ?? []), text]);
  }
  throw new ConfigError(
    [...bySource].map(([source, texts]) => `${source}: ${texts.join('; ')}`).join('; '),
  );
}

/**
 * Validates configuration data; `sourceOf` names, for the path of a bad
 * value, where that value came from.
 */
export function validate(
  data: unknown,
  sourceOf: (path: readonly PropertyKey[]) => string,
): Config {
  const result = ConfigSchema.safeParse(data);
  if (result.success) return result.data;
  throwProblems(
    result.error.issues.map((issue) => ({
      source: sourceOf(issue.path),
      text: describeIssue(issue),
    })),
  );
}

/** Validates parsed configuration data; `source` names it in errors. */
export function parseConfig(data: unknown, source: string): Config {
  return validate(data, () => source);
}
