export {
  DEFAULT_PERMISSIONS,
  type ImportedUser,
  type ImportOptions,
  type ImportResult,
  type ImportWarning,
  passwordProblem,
  type SkippedUser,
} from './common.js';
export { convertProftpdUsers } from './proftpd.js';
export { bandwidthKBps, convertPureFtpdUsers, pureFtpdIpList } from './pure-ftpd.js';
export { convertUnixUsers, UNIX_DEFAULT_MAX_UID, UNIX_DEFAULT_MIN_UID } from './unix.js';

/** The formats `sftpgo api import-users --from` reads. */
export const IMPORT_FORMATS = ['unix', 'pure-ftpd', 'proftpd'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
