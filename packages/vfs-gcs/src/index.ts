export { GcsFs, type GcsFsOptions } from './gcs-fs.js';
export { GcsStore, type GcsStoreOptions, gcsError } from './gcs-store.js';
