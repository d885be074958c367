import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { coerceStrings, type Problem } from './coerce.js';
import { applyOverrides, environmentOverrides } from './environment.js';
import { CONFIG_EXTENSIONS, type ConfigExtension, FORMATS } from './formats/index.js';
import { isRecord } from './objects.js';
import { type Config, ConfigSchema } from './schema.js';
import { ConfigError, throwProblems, validate } from './validate.js';

export interface LoadedConfig {
  readonly config: Config;
  /** The file read; undefined when there is none and the defaults apply. */
  readonly file?: string;
  /** Other configuration files in the directory, not read: worth a warning. */
  readonly ignoredFiles: string[];
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    const { code } = err as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw new ConfigError(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

async function readData(file: string, extension: ConfigExtension) {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`, { cause: err });
  }
  const format = FORMATS[extension];
  let data: unknown;
  try {
    data = format.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: invalid ${format.name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!isRecord(data)) {
    throw new ConfigError(`${file}: the file must hold sections of keys, such as "sftpd"`);
  }
  if (!format.stringValues) return data;
  const problems: Problem[] = [];
  const coerced = coerceStrings(data, ConfigSchema, problems);
  if (problems.length > 0) {
    throwProblems(
      problems.map(({ path, message }) => ({
        source: file,
        text: `"${path.join('.')}": ${message}`,
      })),
    );
  }
  return coerced;
}

/**
 * Reads `<configFile>.<ext>` from `configDir`, the first of CONFIG_EXTENSIONS
 * found, then applies the `SFTPGO_SECTION__KEY` variables of `env` over it.
 * Without a file the variables apply over the defaults.
 */
export async function loadConfig(
  configDir: string,
  configFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedConfig> {
  if (/[/\\]/.test(configFile) || configFile.includes('.')) {
    throw new ConfigError(
      `--config-file ${JSON.stringify(configFile)}: give a file name without directory or extension`,
    );
  }
  const candidates = CONFIG_EXTENSIONS.map((extension) => ({
    extension,
    path: join(configDir, `${configFile}.${extension}`),
  }));
  const exists = await Promise.all(candidates.map(({ path }) => isFile(path)));
  const [found, ...ignored] = candidates.filter((_, i) => exists[i]);
  const data = found ? await readData(found.path, found.extension) : {};
  const overrides = environmentOverrides(env);
  applyOverrides(data, overrides);
  const config = validate(data, (path) => {
    const override = overrides.find((o) => o.path.every((key, i) => path[i] === key));
    return override?.variable ?? found?.path ?? 'the environment';
  });
  return {
    config,
    ...(found ? { file: found.path } : {}),
    ignoredFiles: ignored.map(({ path }) => path),
  };
}
