// What must hold after any case, whatever the loader made of its input.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigSchema, type LoadedConfig } from '@sftpgo/config';

/** The prototypes a `__proto__` or `constructor.prototype` key would reach. */
const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype];

type PrototypeSnapshot = ReadonlyArray<ReadonlyMap<PropertyKey, PropertyDescriptor>>;

function snapshotPrototypes(): PrototypeSnapshot {
  return PROTOTYPES.map(
    (prototype) =>
      new Map(
        Reflect.ownKeys(prototype).map((k) => [k, Reflect.getOwnPropertyDescriptor(prototype, k)!]),
      ),
  );
}

/** The prototypes as the process started, before any case. */
const PRISTINE = snapshotPrototypes();

const sameDescriptor = (a: PropertyDescriptor, b: PropertyDescriptor) =>
  a.value === b.value && a.get === b.get && a.set === b.set;

/**
 * The properties a case added to or changed in the prototypes, which are
 * then restored: one polluted case must not fail all the next ones.
 */
export function prototypePollution(): string[] {
  const changes: string[] = [];
  for (const [i, prototype] of PROTOTYPES.entries()) {
    const pristine = PRISTINE[i]!;
    const name = `${prototype.constructor.name}.prototype`;
    for (const key of Reflect.ownKeys(prototype)) {
      const before = pristine.get(key);
      const now = Reflect.getOwnPropertyDescriptor(prototype, key)!;
      if (before !== undefined && sameDescriptor(before, now)) continue;
      changes.push(`${name}.${String(key)} ${before === undefined ? 'added' : 'changed'}`);
      if (before === undefined) Reflect.deleteProperty(prototype, key);
      else Reflect.defineProperty(prototype, key, before);
    }
  }
  return changes;
}

/** Where `value` holds an object that is not a plain object or array, or an own `__proto__`. */
function notPlain(value: unknown, path: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const expected = Array.isArray(value) ? Array.prototype : Object.prototype;
  if (Object.getPrototypeOf(value) !== expected) return `${path} has another prototype`;
  if (Object.hasOwn(value, '__proto__')) return `${path} has an own __proto__`;
  for (const [key, item] of Object.entries(value)) {
    const found = notPlain(item, `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** What is wrong with what loadConfig resolved with: the config the schema accepts, plain data. */
export function loadedProblems(
  loaded: LoadedConfig,
  expectedFile: string | undefined,
  expectedIgnored: readonly string[],
): string[] {
  const problems: string[] = [];
  const parsed = ConfigSchema.safeParse(loaded.config);
  if (!parsed.success) problems.push(`the schema refuses the config: ${parsed.error.message}`);
  const impure = notPlain(loaded.config, 'config');
  if (impure !== undefined) problems.push(impure);
  if (loaded.file !== expectedFile) {
    problems.push(`read ${loaded.file}, not ${expectedFile}`);
  }
  if (JSON.stringify(loaded.ignoredFiles) !== JSON.stringify(expectedIgnored)) {
    problems.push(`ignored files ${JSON.stringify(loaded.ignoredFiles)}`);
  }
  if (!loaded.warnings.every((w) => typeof w === 'string' && w.trim() !== '')) {
    problems.push(`a warning is empty or not text: ${JSON.stringify(loaded.warnings)}`);
  }
  return problems;
}

/** Differences between `dir` and the files a case wrote there: loading must write nothing. */
export async function directoryChanges(
  dir: string,
  written: ReadonlyMap<string, Buffer>,
): Promise<string[]> {
  const names = await readdir(dir);
  const changes = names.filter((n) => !written.has(n)).map((n) => `${n} appeared`);
  for (const [name, bytes] of written) {
    if (!names.includes(name)) changes.push(`${name} disappeared`);
    else if (!(await readFile(join(dir, name))).equals(bytes)) changes.push(`${name} changed`);
  }
  return changes;
}
