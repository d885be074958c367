export {
  fromNodeError,
  opError,
  unreachableReason,
  VfsError,
  type VfsErrorCode,
} from './errors.js';
export { ForwardingFileHandle, ForwardingFs } from './forwarding-fs.js';
export {
  type DirEntry,
  type DirHandle,
  exists,
  type FileHandle,
  type FileStat,
  type Fs,
  type FsCapabilities,
  isDirectory,
  isSymbolicLink,
  type OpenFlags,
  POSIX_CAPABILITIES,
  type RealpathStat,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  type SetStat,
  type StatVfs,
} from './fs.js';
export { MemoryFs, type MemoryFsOptions } from './memory-fs.js';
export { keyPrefixProblem } from './object-keys.js';
export type {
  ObjectInfo,
  ObjectPage,
  ObjectRequest,
  ObjectStore,
  ObjectStoreEvents,
  ObjectUpload,
} from './object-store.js';
export {
  OBJECT_STORE_CAPABILITIES,
  ObjectStoreFs,
  type ObjectStoreFsOptions,
} from './object-store-fs.js';
export { OsFs, type OsFsOptions } from './os-fs.js';
export { UploadBudget } from './upload-budget.js';
export { scanUsage, type Usage } from './usage.js';
export { cleanVirtualPath, MAX_PATH_BYTES } from './virtual-path.js';
