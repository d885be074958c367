import { parseEnvFile } from './envfile.js';
import { parseHcl } from './hcl.js';
import { parseJson } from './json.js';
import { parseProperties } from './properties.js';
import { parseToml } from './toml.js';
import { parseYaml } from './yaml.js';

/** The extensions of the configuration file, in the order they are searched. */
export const CONFIG_EXTENSIONS = [
  'json',
  'yaml',
  'yml',
  'toml',
  'hcl',
  'env',
  'properties',
] as const;

export type ConfigExtension = (typeof CONFIG_EXTENSIONS)[number];

export interface ConfigFormat {
  /** The name of the format in error messages. */
  readonly name: string;
  /** Turns the text into data; throws an Error that says where the text is wrong. */
  readonly parse: (text: string) => unknown;
  /** Whether every value is text, to be coerced to the type the schema expects. */
  readonly stringValues: boolean;
}

const yaml: ConfigFormat = { name: 'YAML', parse: parseYaml, stringValues: false };

export const FORMATS: Readonly<Record<ConfigExtension, ConfigFormat>> = {
  json: { name: 'JSON', parse: parseJson, stringValues: false },
  yaml,
  yml: yaml,
  toml: { name: 'TOML', parse: parseToml, stringValues: false },
  hcl: { name: 'HCL', parse: parseHcl, stringValues: false },
  env: { name: 'envfile', parse: parseEnvFile, stringValues: true },
  properties: { name: 'properties', parse: parseProperties, stringValues: true },
};
