export { type IpFilters, isAddressAllowed } from './ip-filter.js';
export { hashPassword, isHashedPassword, verifyPassword } from './password.js';
