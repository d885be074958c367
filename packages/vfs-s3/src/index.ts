export { S3Fs, type S3FsOptions } from './s3-fs.js';
export { S3Store, type S3StoreOptions } from './s3-store.js';
