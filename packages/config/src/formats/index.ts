import { parseEnvFile } from './envfile.js';
import { parseHcl } from './hcl.js';
import { parseIni } from './ini.js';
import { parseJson } from './json.js';
import { checkNesting } from './nesting.js';
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

/** A format whose values are checked for nesting once read (YAML checks before). */
function nestingChecked(name: string, parse: (text: string) => unknown): ConfigFormat {
  return {
    name,
    parse(text) {
      const value = parse(text);
      checkNesting(value);
      return value;
    },
  };
}

const yaml: ConfigFormat = { name: 'YAML', parse: parseYaml };
// dotted keys (`a.b.c`) nest too
const properties = nestingChecked('properties', parseProperties);
const envfile = nestingChecked('envfile', parseEnvFile);

export const FORMATS: Readonly<Record<ConfigExtension, ConfigFormat>> = {
  json: nestingChecked('JSON', parseJson),
  toml: nestingChecked('TOML', parseToml),
  yaml,
  yml: yaml,
  properties,
  props: properties,
  prop: properties,
  hcl: nestingChecked('HCL', parseHcl),
  dotenv: envfile,
  env: envfile,
  ini: nestingChecked('INI', parseIni),
};
