export {
  ApiClient,
  type ApiClientOptions,
  ApiError,
  type ApiFilesystem,
  type ApiMessage,
  type ApiUser,
  type ApiUserInput,
  apiBaseUrl,
  DEFAULT_BASE_URL,
  insecureFetch,
  type UserListQuery,
} from './client.js';
export { type ApiCommandDeps, registerApiCommand } from './command.js';
export * from './import/index.js';
export {
  mergeFilters,
  parseExpirationDate,
  parsePermissions,
  UsageError,
  userFromFlags,
} from './user-flags.js';
