import { type Findings, normalize } from './coerce.js';
import { getOwn, isRecord, setOwn } from './objects.js';
import { inspect, schemaAt } from './schema-nodes.js';
import { closestKey, ignored } from './suggest.js';
import { throwProblems } from './validate.js';

const PREFIX = 'SFTPGO_';

/** A configuration key set by an environment variable. */
export interface Override {
  readonly variable: string;
  readonly path: readonly string[];
  readonly value: unknown;
}

/** The overrides the environment makes, and what it sets that is not a configuration key. */
export interface EnvironmentOverrides {
  readonly overrides: Override[];
  /** One sentence per variable ignored, naming it. */
  readonly warnings: string[];
}

const variableName = (path: readonly string[]) =>
  `${PREFIX}${path.map((key) => key.toUpperCase()).join('__')}`;

/** The variable that one for `path`, which names no key, is likely a misspelling of. */
function closestVariable(path: readonly string[]): string | undefined {
  for (const [i, key] of path.entries()) {
    const { shape } = inspect(schemaAt(path.slice(0, i))!);
    if (shape.kind !== 'section') return undefined;
    if (Object.hasOwn(shape.keys, key)) continue;
    const closest = closestKey(key, Object.keys(shape.keys));
    if (closest === undefined) return undefined;
    const candidate = [...path.slice(0, i), closest, ...path.slice(i + 1)];
    return schemaAt(candidate) === undefined ? undefined : variableName(candidate);
  }
  return undefined;
}

/**
 * The keys that `SFTPGO_SECTION__KEY` variables set, their values coerced
 * to the schema's types. Variables without `__`, such as SFTPGO_CONFIG_DIR,
 * are not configuration keys. One with `__` that names no key, or a whole
 * section, is ignored with a warning, as the reference ignores it: containers
 * often carry variables meant for another version.
 */
export function environmentOverrides(env: NodeJS.ProcessEnv): EnvironmentOverrides {
  const overrides: Override[] = [];
  const warnings: string[] = [];
  const problems: { source: string; text: string }[] = [];
  const variables = Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && name.includes('__'))
    .sort();
  for (const variable of variables) {
    const path = variable.slice(PREFIX.length).toLowerCase().split('__');
    const schema = schemaAt(path);
    const key = JSON.stringify(path.join('.'));
    if (schema === undefined) {
      warnings.push(
        `${variable}: ${key} is not a configuration key, ${ignored(closestVariable(path))}`,
      );
      continue;
    }
    if (inspect(schema).shape.kind === 'section') {
      warnings.push(`${variable}: ${key} is a section, ignored: set its keys one by one`);
      continue;
    }
    const findings: Findings = { problems: [], unknownKeys: [] };
    const value = normalize(env[variable] ?? '', schema, findings, path);
    for (const { message } of findings.problems) problems.push({ source: variable, text: message });
    for (const unknown of findings.unknownKeys) {
      warnings.push(`${variable}: unknown key "${unknown.path}" ${ignored(unknown.suggestion)}`);
    }
    overrides.push({ variable, path, value });
  }
  if (problems.length > 0) throwProblems(problems);
  return { overrides, warnings };
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
