export { ProviderError, type ProviderErrorCode, ValidationError } from './errors.js';
export { PERMISSIONS, type Permission } from './permissions.js';
export type { DataProvider } from './provider.js';
export type { QuotaChange } from './quota-change.js';
export { openSqliteProvider, type SqliteProviderOptions } from './sqlite-provider.js';
export {
  type PublicUser,
  parseUserInput,
  toPublicUser,
  type User,
  type UserInput,
  UserInputSchema,
} from './user.js';
