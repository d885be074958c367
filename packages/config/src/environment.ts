import { coerce } from './coerce.js';
import { getOwn, isRecord, setOwn } from './objects.js';
import { schemaAt } from './schema-nodes.js';
import { throwProblems } from './validate.js';

const PREFIX = 'SFTPGO_';

/** A configuration key set by an environment variable. */
export interface Override {
  readonly variable: string;
  readonly path: readonly string[];
  readonly value: unknown;
}

/**
 * The keys that `SFTPGO_SECTION__KEY` variables set, their values coerced
 * to the schema's types. Variables without `__`, such as SFTPGO_CONFIG_DIR,
 * are not configuration keys; one with `__` that names no key is an error.
 */
export function environmentOverrides(env: NodeJS.ProcessEnv): Override[] {
  const overrides: Override[] = [];
  const problems: { source: string; text: string }[] = [];
  const variables = Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && name.includes('__'))
    .sort();
  for (const variable of variables) {
    const path = variable.slice(PREFIX.length).toLowerCase().split('__');
    const schema = schemaAt(path);
    if (schema === undefined) {
      problems.push({ source: variable, text: `"${path.join('.')}" is not a configuration key` });
      continue;
    }
    try {
      overrides.push({ variable, path, value: coerce(env[variable] ?? '', schema) });
    } catch (err) {
      problems.push({ source: variable, text: (err as Error).message });
    }
  }
  if (problems.length > 0) throwProblems(problems);
  return overrides;
}

/** Sets each override in `data`, in place of what the file says. */
export function applyOverrides(
  data: Record<string, unknown>,
  overrides: readonly Override[],
): void {
  for (const { path, value } of overrides) {
    let section = data;
    for (const key of path.slice(0, -1)) {
      const next = getOwn(section, key);
      if (isRecord(next)) {
        section = next;
      } else {
        const created: Record<string, unknown> = {};
        setOwn(section, key, created);
        section = created;
      }
    }
    setOwn(section, path[path.length - 1]!, value);
  }
}
