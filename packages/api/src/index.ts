export type { HttpAccess } from './access-log.js';
export { HttpError, sendApiResponse } from './api-response.js';
export { basicAuth, Htpasswd } from './basic-auth.js';
export type { ConnectionRegistry } from './connection-routes.js';
export { type ApiOptions, createApi, type VersionInfo } from './create-api.js';
