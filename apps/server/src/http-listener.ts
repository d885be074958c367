import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** The certificate pair of HTTPS, as file paths. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** The REST API's listener: HTTP, or HTTPS with a certificate that can be replaced while it runs. */
export interface HttpListener {
  readonly address: AddressInfo;
  readonly secure: boolean;
  /**
   * Reads the certificate pair again and serves it to new connections;
   * rejects, keeping the pair in use, when it cannot be read or does not match.
   */
  reloadCertificate(): Promise<void>;
  close(): Promise<void>;
}

async function readPair(files: CertificateFiles): Promise<{ cert: Buffer; key: Buffer }> {
  const [cert, key] = await Promise.all([readFile(files.certFile), readFile(files.keyFile)]);
  return { cert, key };
}

/** How long an idle keep-alive connection stays open. */
const KEEP_ALIVE_MS = 60_000;

/** Listens on `host:port` with `app`; HTTPS when `certificate` is given. */
export async function listenHttp(
  app: RequestListener,
  port: number,
  host: string,
  certificate?: CertificateFiles,
): Promise<HttpListener> {
  const server: Server | HttpsServer = certificate
    ? createHttpsServer(await readPair(certificate), app)
    : createHttpServer(app);
  // An idle keep-alive connection is kept a minute, as the reference server
  // does, longer than clients keep theirs (undici: 4 s): with Node's 5 s, a
  // busy client could send a request on a connection the server had just
  // closed, and fail with no answer.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: host || undefined }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    secure: certificate !== undefined,
    async reloadCertificate() {
      if (!certificate) return;
      // throws on a key that does not match the certificate, before anything changes
      (server as HttpsServer).setSecureContext(await readPair(certificate));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
