export { AtomicUploadFs, type UploadMode } from './atomic-upload-fs.js';
export { Defender, type DefenderOptions, type LoginDefender } from './defender.js';
export { DirectoryPermissions } from './directory-permissions.js';
export { type HostConnectionCounter, HostConnections } from './host-connections.js';
export {
  generateHostKeys,
  hostKeyFingerprints,
  keyFingerprint,
  loadHostKeys,
} from './host-keys.js';
export { KeyCounts } from './key-counts.js';
export type { ConnectionStatus } from './live-connection.js';
export { type LogEntry, type Logger, silentLogger } from './logger.js';
export { LoginError, SessionLimitError } from './login.js';
export { type Ownership, OwnershipFs } from './ownership-fs.js';
export { PolicyFs } from './policy-fs.js';
export type { ProxyProtocolOptions } from './proxy-gate.js';
export { QuotaFs, type QuotaStore, type QuotaTracking } from './quota-fs.js';
export {
  SESSION_ACTIONS,
  type SessionAction,
  type SessionActionFacts,
  type SessionActionOutcome,
  SessionActions,
  type SessionActionsOptions,
  type SessionActionsSettings,
  sessionActionsProblems,
} from './session-actions.js';
export type {
  ActiveTransfer,
  CommandEvent,
  CommandName,
  LoginEvent,
  Protocol,
  SessionContext,
  SessionEvent,
  SshCommandEvent,
  TransferEvent,
} from './session-events.js';
export { type SessionFsOptions, sessionFs } from './session-fs.js';
export { type IgnoredAttributes, IgnoreSetStatFs, type SetStatMode } from './setstat-mode-fs.js';
export { SftpServer, type SftpServerOptions } from './sftp-server.js';
export type { SshAlgorithms } from './ssh-algorithms.js';
export {
  type CommandChannel,
  SSH_COMMANDS,
  type SshCommandSession,
} from './ssh-commands/run-ssh-command.js';
export { SandboxUnavailableError } from './ssh-commands/sandbox.js';
export { checkSystemCommandSandbox } from './ssh-commands/sandbox-check.js';
export { type Bandwidth, ThrottledFs } from './throttled-fs.js';
export { TransferFs } from './transfer-fs.js';
export {
  FileUploadJournal,
  type PendingUpload,
  type RecoveredUpload,
  recoverUploads,
  UNSETTLED_WRITE_BYTES,
  type UploadJournal,
  type UploadRecovery,
} from './upload-journal.js';
export { type SessionCounter, UserSessions } from './user-sessions.js';
export { accountUser, type Credential, type UserSource } from './user-source.js';
export {
  openLocalStorage,
  type StorageOpener,
  StorageUnavailableError,
  storageRootOf,
} from './user-storage.js';
