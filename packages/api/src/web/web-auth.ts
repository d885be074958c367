import type { NextFunction, Request, Response } from 'express';
import type { Htpasswd } from '../basic-auth.js';

function credentials(req: Request): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.get('authorization') ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * HTTP basic authentication of the web admin against the API's htpasswd:
 * as the reference server answers its pages, 401 with the realm and the
 * plain text `Unauthorized`.
 */
export function webBasicAuth(htpasswd: Htpasswd) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const given = credentials(req);
    if (given && (await htpasswd.verify(given.user, given.password))) {
      next();
      return;
    }
    res
      .status(401)
      .set('WWW-Authenticate', 'Basic realm="SFTPGo Web"')
      .type('text/plain; charset=utf-8')
      .send('Unauthorized');
  };
}
