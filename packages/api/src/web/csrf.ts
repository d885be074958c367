import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/** The cookie holding the browser session's random value. */
export const CSRF_COOKIE = 'sftpgo_csrf';
/** The form field holding the token. */
export const CSRF_FIELD = '_csrf';

const SESSION_VALUE = /^[A-Za-z0-9_-]{43}$/;

/** The cookies of a request, by name (the first of each name wins). */
export function readCookies(req: Request): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (cookies.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // kept as sent
    }
    cookies.set(name, value);
  }
  return cookies;
}

/** Why a state-changing request was refused. */
export type CsrfRefusal = 'cross-origin' | 'missing-token' | 'bad-token';

/**
 * Cross-site request forgery protection with a signed double-submit cookie:
 * each browser gets a random value in an HttpOnly, SameSite=Strict cookie,
 * and every form carries an HMAC of it under a key that only this process
 * knows, so that a cookie planted from a sibling site is of no use without
 * the key. A request that changes state must carry both, and its `Origin`
 * header, when there is one, must name this host.
 */
export class Csrf {
  readonly #key: Buffer;
  readonly #cookiePath: string;

  constructor(cookiePath = '/web', key: Buffer = randomBytes(32)) {
    this.#key = key;
    this.#cookiePath = cookiePath;
  }

  #sign(session: string): string {
    return createHmac('sha256', this.#key).update(session).digest('base64url');
  }

  /**
   * The token for the forms of the page being answered, setting the
   * session cookie first when the browser has none.
   */
  token(req: Request, res: Response): string {
    let session = readCookies(req).get(CSRF_COOKIE);
    if (!session || !SESSION_VALUE.test(session)) {
      session = randomBytes(32).toString('base64url');
      res.cookie(CSRF_COOKIE, session, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure,
        path: this.#cookiePath,
      });
    }
    return this.#sign(session);
  }

  /** Why `req` must be refused, or undefined when its token and origin are good. */
  check(req: Request): CsrfRefusal | undefined {
    const origin = req.get('origin');
    if (origin !== undefined && !sameHost(origin, req.get('host'))) return 'cross-origin';
    const session = readCookies(req).get(CSRF_COOKIE);
    const body = req.body as Record<string, unknown> | undefined;
    const given = body?.[CSRF_FIELD];
    if (!session || !SESSION_VALUE.test(session) || typeof given !== 'string' || given === '') {
      return 'missing-token';
    }
    const expected = Buffer.from(this.#sign(session));
    const actual = Buffer.from(given);
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      return 'bad-token';
    }
    return undefined;
  }
}

/** Whether an `Origin` header names the host the request was sent to (`null` never does). */
function sameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const from = new URL(origin);
    // the Host header, read as the origin's scheme would: default ports dropped
    return from.host === new URL(`${from.protocol}//${host}`).host;
  } catch {
    return false;
  }
}
