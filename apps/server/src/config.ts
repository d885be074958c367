export { type Config, ConfigError, ConfigSchema, loadConfig, parseConfig } from '@sftpgo/config';
