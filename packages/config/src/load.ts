import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Findings, normalize } from './coerce.js';
import { applyOverrides, environmentOverrides } from './environment.js';
import { CONFIG_EXTENSIONS, type ConfigExtension, FORMATS } from './formats/index.js';
import { isRecord } from './objects.js';
import { type Config, ConfigSchema } from './schema.js';
import { ignored } from './suggest.js';
import { ConfigError, throwProblems, validate } from './validate.js';

export interface LoadedConfig {
  readonly config: Config;
  /** The file read; undefined when there is none and the defaults apply. */
  readonly file?: string;
  /** Other configuration files in the file's directory, not read: worth a warning. */
  readonly ignoredFiles: string[];
  /**
   * Keys of the file and SFTPGO_ variables ignored because they name no
   * configuration key, one sentence each that names them: worth a warning.
   */
  readonly warnings: string[];
}

/** Whether `path` is a file; a directory that may not be searched is an error only if `required`. */
async function isFile(path: string, required: boolean): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    const { code } = err as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    if (code === 'EACCES' && !required) return false;
    throw new ConfigError(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

async function readData(file: string, extension: ConfigExtension, warnings: string[]) {
  const format = FORMATS[extension];
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`, { cause: err });
  }
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
  const findings: Findings = { problems: [], unknownKeys: [] };
  const normalized = normalize(data, ConfigSchema, findings) as Record<string, unknown>;
  if (findings.problems.length > 0) {
    throwProblems(
      findings.problems.map(({ path, message }) => ({
        source: file,
        text: `"${path.join('.')}": ${message}`,
      })),
    );
  }
  for (const key of findings.unknownKeys) {
    warnings.push(`${file}: unknown key "${key.path}" ${ignored(key.suggestion)}`);
  }
  return normalized;
}

/**
 * The directories searched for the configuration file, in the reference's
 * order: the config dir; on Linux `$HOME/.config/sftpgo` and `/etc/sftpgo`;
 * then the working directory.
 */
function searchPath(configDir: string, env: NodeJS.ProcessEnv): string[] {
  const dirs = [resolve(configDir)];
  if (process.platform === 'linux') {
    if (env.HOME) dirs.push(join(env.HOME, '.config', 'sftpgo'));
    dirs.push('/etc/sftpgo');
  }
  dirs.push(resolve('.'));
  return [...new Set(dirs)];
}

const EXTENSION = new RegExp(`\\.(${CONFIG_EXTENSIONS.join('|')})$`, 'i');

/** The configuration files of the first directory of `dirs` that holds one, in search order. */
async function findFiles(dirs: readonly string[], configFile: string) {
  for (const [i, dir] of dirs.entries()) {
    // Another user's /etc/sftpgo that may not be searched holds no file for us; the config dir must be readable.
    const required = i === 0;
    const candidates = CONFIG_EXTENSIONS.map((extension) => ({
      extension,
      path: join(dir, `${configFile}.${extension}`),
    }));
    const exists = await Promise.all(candidates.map(({ path }) => isFile(path, required)));
    const found = candidates.filter((_, i) => exists[i]);
    if (found.length > 0) return found;
  }
  return [];
}

/**
 * Reads `<configFile>.<ext>`, the first of CONFIG_EXTENSIONS found in the
 * first directory of the search path that holds one, then applies the
 * `SFTPGO_SECTION__KEY` variables of `env` over it. Without a file the
 * variables apply over the defaults.
 */
export async function loadConfig(
  configDir: string,
  configFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedConfig> {
  // A dot is part of the name, as in the reference: sftpgo.prod is read from sftpgo.prod.json.
  if (/[/\\]/.test(configFile) || EXTENSION.test(configFile)) {
    throw new ConfigError(
      `--config-file ${JSON.stringify(configFile)}: give a file name without directory or extension`,
    );
  }
  const [found, ...others] = await findFiles(searchPath(configDir, env), configFile);
  const warnings: string[] = [];
  const data = found ? await readData(found.path, found.extension, warnings) : {};
  const environment = environmentOverrides(env);
  warnings.push(...environment.warnings);
  applyOverrides(data, environment.overrides);
  const config = validate(data, (path) => {
    const override = environment.overrides.find((o) => o.path.every((key, i) => path[i] === key));
    return override?.variable ?? found?.path ?? 'the environment';
  });
  return {
    config,
    ...(found ? { file: found.path } : {}),
    ignoredFiles: others.map(({ path }) => path),
    warnings,
  };
}
