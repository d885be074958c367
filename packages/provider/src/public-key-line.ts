const KEY_IN_LINE = /(?:^|\s)((?:ssh|ecdsa|sk)-[\w@.-]+)\s+([A-Za-z0-9+/]+={0,2})(?:\s|$)/;

/**
 * Whether `line` holds a public key in the authorized_keys format (options
 * and a comment allowed): a key type, then the base64 key blob, whose first
 * field names the same type.
 */
export function isPublicKeyLine(line: string): boolean {
  const match = KEY_IN_LINE.exec(line);
  if (!match) return false;
  const blob = Buffer.from(match[2]!, 'base64');
  if (blob.length < 4) return false;
  const typeLength = blob.readUInt32BE(0);
  if (4 + typeLength > blob.length) return false;
  return blob.subarray(4, 4 + typeLength).toString('latin1') === match[1];
}
