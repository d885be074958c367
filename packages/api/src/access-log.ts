import { randomUUID } from 'node:crypto';
import { hostPort, plainAddress } from '@sftpgo/auth';
import type { NextFunction, Request, Response } from 'express';

/**
 * One answered request, with the fields of the spec's "http logs", in the
 * reference's order (it writes them sorted, then the response's), which
 * regex-based parsers depend on.
 */
export interface HttpAccess {
  readonly method: string;
  readonly proto: string;
  readonly remote_addr: string;
  readonly request_id: string;
  readonly uri: string;
  readonly user_agent: string;
  readonly resp_status: number;
  readonly resp_size: number;
  readonly elapsed_ms: number;
}

/**
 * An incoming `X-Request-Id` kept as the request's id, as the reference
 * does, so that a proxy's id follows the request: only a short token of
 * printable ASCII, since it is echoed in a header and written to the log.
 */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Reports every request once its answer is sent, or once the client has gone. */
export function accessLog(onAccess: (access: HttpAccess) => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = performance.now();
    const incoming = req.get('x-request-id');
    const requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    res.once('close', () => {
      const socket = req.socket;
      onAccess({
        method: req.method,
        proto: `HTTP/${req.httpVersion}`,
        // as the reference writes it: `127.0.0.1:54321`, `[::1]:54321`
        remote_addr: hostPort(plainAddress(socket.remoteAddress ?? ''), socket.remotePort ?? 0),
        request_id: requestId,
        uri: `${req.protocol}://${req.get('host') ?? ''}${req.originalUrl}`,
        user_agent: req.get('user-agent') ?? '',
        resp_status: res.statusCode,
        resp_size: Number(res.getHeader('content-length') ?? 0),
        elapsed_ms: Math.round(performance.now() - start),
      });
    });
    next();
  };
}
