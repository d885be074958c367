import { parseEnvFile } from './envfile.js';
import { parseHcl } from './hcl.js';
import { parseIni } from './ini.js';
import { parseJson } from './json.js';
import { parseProperties } from './properties.js';
import { parseToml } from './toml.js';
import { parseYaml } from './yaml.js';

/**
 * The extensions of the configuration file, in the order they are searched:
 * the order of the reference's configuration library, viper.
 */
export const CONFIG_EXTENSIONS = [
  'json',
  'toml',
  'yaml',
  'yml',
  'properties',
  'props',
  'prop',
  'hcl',
  'dotenv',
  'env',
  'ini',
] as const;

export type ConfigExtension = (typeof CONFIG_EXTENSIONS)[number];

export interface ConfigFormat {
  /** The name of the format in error messages. */
  readonly name: string;
  /** Turns the text into data; throws an Error that says where the text is wrong. */
  readonly parse: (text: string) => unknown;
}

const yaml: ConfigFormat = { name: 'YAML', parse: parseYaml };
const properties: ConfigFormat = { name: 'properties', parse: parseProperties };
const envfile: ConfigFormat = { name: 'envfile', parse: parseEnvFile };

export const FORMATS: Readonly<Record<ConfigExtension, ConfigFormat>> = {
  json: { name: 'JSON', parse: parseJson },
  toml: { name: 'TOML', parse: parseToml },
  yaml,
  yml: yaml,
  properties,
  props: properties,
  prop: properties,
  hcl: { name: 'HCL', parse: parseHcl },
  dotenv: envfile,
  env: envfile,
  ini: { name: 'INI', parse: parseIni },
};
