export { hostPort, plainAddress } from './client-address.js';
export { type IpFilters, isAddressAllowed } from './ip-filter.js';
export {
  hashedPasswordProblem,
  hashPassword,
  isHashedPassword,
  verifyLoginPassword,
  verifyPassword,
} from './password.js';
