export { HttpError, sendApiResponse } from './api-response.js';
export type { ConnectionRegistry } from './connection-routes.js';
export { type ApiOptions, createApi, type VersionInfo } from './create-api.js';
