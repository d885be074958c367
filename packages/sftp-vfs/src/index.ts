export { toSftpError, VfsSftpHandler, type VfsSftpHandlerOptions } from './vfs-sftp-handler.js';
