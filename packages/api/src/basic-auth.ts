import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { verifyPassword } from '@sftpgo/auth';
import type { NextFunction, Request, Response } from 'express';
import { sendApiResponse } from './api-response.js';

/** A bcrypt hash of no one's password, checked for names the file does not hold. */
const UNKNOWN_USER_HASH = '$2y$10$dF/gRNzRaOQwBpGbt5KU/OqHLhLGpv/AH9K415nA0Zznc6zJtcg52';

/** The hashes an htpasswd file may hold, as the reference server accepts them. */
const ACCEPTED_HASH = /^\$(2[abxy]?|1|apr1)\$/;

export interface HtpasswdOptions {
  /** Told of each line skipped and of a file that cannot be read, naming it. */
  readonly onWarning?: (message: string) => void;
}

/** What tells a changed file: replaced, rewritten or resized. */
function stampOf(st: Stats): string {
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}

/**
 * The users of an htpasswd file (`user:hash` lines, as Apache's `htpasswd`
 * writes them) with bcrypt or md5-crypt hashes. As the reference server
 * does, the file is checked on every request and read again when it
 * changed, so that administrators are added and removed without a restart.
 */
export class Htpasswd {
  readonly #path: string;
  readonly #onWarning: (message: string) => void;
  #hashes: ReadonlyMap<string, string> = new Map();
  #stamp: string | undefined;
  #checking: Promise<void> | undefined;

  private constructor(path: string, onWarning: (message: string) => void) {
    this.#path = path;
    this.#onWarning = onWarning;
  }

  /**
   * Reads `path`; a line that is not `user:hash` with a supported hash is
   * skipped with a warning.
   * @throws {Error} when the file cannot be read
   */
  static async load(path: string, options: HtpasswdOptions = {}): Promise<Htpasswd> {
    const htpasswd = new Htpasswd(path, options.onWarning ?? (() => {}));
    await htpasswd.#read(await stat(path));
    return htpasswd;
  }

  async #read(st: Stats): Promise<void> {
    const text = await readFile(this.#path, 'utf8');
    const hashes = new Map<string, string>();
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const colon = line.indexOf(':');
      const user = line.slice(0, colon);
      const hash = line.slice(colon + 1).trim();
      if (colon <= 0 || !ACCEPTED_HASH.test(hash)) {
        this.#onWarning(
          `${this.#path}:${i + 1}: skipped: expected user:hash with a bcrypt ($2y$) or md5-crypt ($apr1$) hash`,
        );
        return;
      }
      hashes.set(user, hash);
    });
    this.#hashes = hashes;
    this.#stamp = stampOf(st);
  }

  async #check(): Promise<void> {
    try {
      const st = await stat(this.#path);
      if (stampOf(st) !== this.#stamp) await this.#read(st);
    } catch (err) {
      // as the reference server: a file that cannot be read lets nobody in
      if (this.#stamp !== undefined) {
        this.#onWarning(`${this.#path}: ${(err as Error).message}: no one can authenticate`);
      }
      this.#hashes = new Map();
      this.#stamp = undefined;
    }
  }

  /** Whether `password` is that of `user`, in the file as it is now. */
  async verify(user: string, password: string): Promise<boolean> {
    // one check at a time, shared by the requests that arrive meanwhile
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    await this.#checking;
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
