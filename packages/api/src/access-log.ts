import { randomUUID } from 'node:crypto';
import { hostPort, plainAddress } from '@sftpgo/auth';
import type { NextFunction, Request, Response } from 'express';

/** One answered request, with the fields of the spec's "http logs". */
export interface HttpAccess {
  readonly remote_addr: string;
  readonly proto: string;
  readonly method: string;
  readonly user_agent: string;
  readonly uri: string;
  readonly resp_status: number;
  readonly resp_size: number;
  readonly elapsed_ms: number;
  readonly request_id: string;
}

/** Reports every request once its answer is sent, or once the client has gone. */
export function accessLog(onAccess: (access: HttpAccess) => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = performance.now();
    const requestId = randomUUID();
    res.setHeader('X-Request-Id', requestId);
    res.once('close', () => {
      const socket = req.socket;
      onAccess({
        // as the reference writes it: `127.0.0.1:54321`, `[::1]:54321`
        remote_addr: hostPort(plainAddress(socket.remoteAddress ?? ''), socket.remotePort ?? 0),
        proto: `HTTP/${req.httpVersion}`,
        method: req.method,
        user_agent: req.get('user-agent') ?? '',
        uri: `${req.protocol}://${req.get('host') ?? ''}${req.originalUrl}`,
        resp_status: res.statusCode,
        resp_size: Number(res.getHeader('content-length') ?? 0),
        elapsed_ms: Math.round(performance.now() - start),
        request_id: requestId,
      });
    });
    next();
  };
}
