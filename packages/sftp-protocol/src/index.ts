export type { Attrs } from './attrs.js';
export * from './constants.js';
export { BadMessageError, SftpProtocolError, SftpStatusError, STATUS_MESSAGES } from './errors.js';
export type {
  SftpDirEntry,
  SftpDirectory,
  SftpFile,
  SftpHandler,
  SftpStatVfs,
} from './handler.js';
export { longname, modeString } from './longname.js';
export { PacketReader } from './packet-reader.js';
export { PacketWriter } from './packet-writer.js';
export {
  SftpSession,
  type SftpSessionEnd,
  type SftpSessionOptions,
  type SftpStreams,
} from './session.js';
