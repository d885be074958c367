export type { HttpAccess } from './access-log.js';
export { HttpError, sendApiResponse } from './api-response.js';
export { basicAuth, Htpasswd, type HtpasswdOptions } from './basic-auth.js';
export type { ConnectionRegistry } from './connection-routes.js';
export { type ApiOptions, createApi, type VersionInfo } from './create-api.js';
export {
  type HttpMethod,
  type OpenApiDocument,
  type OpenApiOperation,
  openApiDocument,
} from './openapi.js';
export { homeDirUsage, type QuotaScanStatus, QuotaScans } from './quota-scans.js';
export type { WebOptions } from './web/web-routes.js';
