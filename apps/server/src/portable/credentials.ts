import { randomInt } from 'node:crypto';

/** Letters and digits that cannot be mistaken for one another when read aloud or typed. */
const UNAMBIGUOUS = 'abcdefghijkmnpqrstuvwxyz23456789';
const UNAMBIGUOUS_MIXED = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';

function pick(alphabet: string, length: number): string {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/** A username easy to read and type: `user-` and six characters. */
export function generateUsername(): string {
  return `user-${pick(UNAMBIGUOUS, 6)}`;
}

/** A strong password that is still easy to copy: 20 characters, about 116 bits. */
export function generatePassword(): string {
  return pick(UNAMBIGUOUS_MIXED, 20);
}
