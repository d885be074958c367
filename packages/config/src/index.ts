export { CONFIG_EXTENSIONS, type ConfigExtension } from './formats/index.js';
export { type LoadedConfig, loadConfig } from './load.js';
export { renderConfigurationReference } from './reference.js';
export { type Config, ConfigSchema } from './schema.js';
export { ConfigError, parseConfig } from './validate.js';
