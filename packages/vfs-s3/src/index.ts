export { S3Fs, type S3FsOptions } from './s3-fs.js';
export { keyPrefixProblem } from './s3-keys.js';
