/** The alphabet of crypt(3) hashes, least significant digit first. */
export const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Encodes `bytes` the way md5crypt and sha512crypt do: the bytes are taken in
 * the given `order`, three at a time as a 24-bit number (the first one most
 * significant) written as four characters, least significant six bits first;
 * a last group of one byte gives two characters, of two bytes three.
 */
export function encodeCryptBase64(bytes: Uint8Array, order: readonly number[]): string {
  let out = '';
  for (let i = 0; i < order.length; i += 3) {
    const group = order.slice(i, i + 3);
    let value = 0;
    for (const index of group) value = (value << 8) | (bytes[index] ?? 0);
    for (let n = group.length + 1; n > 0; n--) {
      out += CRYPT_ALPHABET[value & 0x3f];
      value >>>= 6;
    }
  }
  return out;
}

/**
 * The longest password, in UTF-8 bytes, that the crypt(3) forms check: as
 * libxcrypt (`CRYPT_MAX_PASSPHRASE_SIZE`), a longer one never matches. It
 * also bounds sha512crypt's work, which grows with the square of the length.
 */
export const CRYPT_MAX_PASSWORD_BYTES = 511;
