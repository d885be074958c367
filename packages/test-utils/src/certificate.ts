import { execFileSync } from 'node:child_process';

/**
 * Writes a self-signed certificate for `commonName` (P-256, valid two days)
 * and its private key to `certFile` and `keyFile`, with the real openssl.
 */
export function writeSelfSignedCertificate(
  certFile: string,
  keyFile: string,
  commonName: string,
): void {
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-days', '2', '-subj', `/CN=${commonName}`, '-keyout', keyFile, '-out', certFile],
    ],
    { stdio: 'ignore' },
  );
}
