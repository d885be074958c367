export type { HttpAccess } from './access-log.js';
export { HttpError, sendApiResponse } from './api-response.js';
export { basicAuth, Htpasswd, type HtpasswdOptions } from './basic-auth.js';
export type { ConnectionRegistry } from './connection-routes.js';
export type { VersionInfo } from './core-routes.js';
export { type ApiOptions, createApi } from './create-api.js';
export {
  type JsonSchema,
  type OpenApiContent,
  type OpenApiDocument,
  type OpenApiOperation,
  openApiDocument,
} from './openapi.js';
export {
  homeDirUsage,
  type QuotaScanStatus,
  QuotaScans,
  type QuotaScansOptions,
} from './quota-scans.js';
export type { HttpMethod } from './route.js';
export type { WebOptions } from './web/web-routes.js';
