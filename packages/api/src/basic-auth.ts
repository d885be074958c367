import { readFile } from 'node:fs/promises';
import { verifyPassword } from '@sftpgo/auth';
import type { NextFunction, Request, Response } from 'express';
import { sendApiResponse } from './api-response.js';

/** A bcrypt hash of no one's password, checked for names the file does not hold. */
const UNKNOWN_USER_HASH = '$2y$10$dF/gRNzRaOQwBpGbt5KU/OqHLhLGpv/AH9K415nA0Zznc6zJtcg52';

/** The hashes an htpasswd file may hold, as the reference server accepts them. */
const ACCEPTED_HASH = /^\$(2[abxy]?|1|apr1)\$/;

/**
 * The users of an htpasswd file (`user:hash` lines, as Apache's `htpasswd`
 * writes them) with bcrypt or md5-crypt hashes.
 */
export class Htpasswd {
  readonly #hashes: ReadonlyMap<string, string>;

  private constructor(hashes: ReadonlyMap<string, string>) {
    this.#hashes = hashes;
  }

  /**
   * Reads `path`.
   * @throws {Error} naming the file and the line of an entry it cannot use
   */
  static async load(path: string): Promise<Htpasswd> {
    const text = await readFile(path, 'utf8');
    const hashes = new Map<string, string>();
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const colon = line.indexOf(':');
      const user = line.slice(0, colon);
      const hash = line.slice(colon + 1).trim();
      if (colon <= 0 || !ACCEPTED_HASH.test(hash)) {
        throw new Error(
          `${path}:${i + 1}: expected user:hash with a bcrypt ($2y$) or md5-crypt ($apr1$) hash`,
        );
      }
      hashes.set(user, hash);
    });
    return new Htpasswd(hashes);
  }

  /** Whether `password` is that of `user`. */
  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.#hashes.get(user);
    // An unknown user costs a hash too: the time of an answer must not tell which names exist.
    const matches = await verifyPassword(password, hash ?? UNKNOWN_USER_HASH);
    return hash !== undefined && matches;
  }
}

function credentials(req: Request): { user: string; password: string } | undefined {
  const header = req.get('authorization') ?? '';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * HTTP basic authentication against `htpasswd`: a request without valid
 * credentials gets 401, with the reference server's realm and body.
 */
export function basicAuth(htpasswd: Htpasswd) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const given = credentials(req);
    if (given && (await htpasswd.verify(given.user, given.password))) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="SFTPGo Web"');
    sendApiResponse(res, 401, '', 'Unauthorized');
  };
}
