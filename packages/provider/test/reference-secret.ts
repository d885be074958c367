/**
 * `reference-secret-42` as SFTPGo 0.9.6's utils.EncryptData writes it (made
 * with another AES-GCM implementation): `$aes$<32 hex chars, the key
 * itself>$<hex of nonce, ciphertext and tag>`.
 */
export const REFERENCE_SECRET =
  '$aes$bcf5c9c8238659deecff06bab8dd10da$a9735005edb3f01c9c5bb71b5897ba65792d44ad39b6d539a9e09f691d29385b69e64d753154db0cfbec8cab711468';
