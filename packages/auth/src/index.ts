export { hashPassword, isHashedPassword, verifyPassword } from './password.js';
