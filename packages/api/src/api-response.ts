import type { Request, Response } from 'express';

/**
 * The body of every message and error of the v1 API, with the reference
 * server's key order: `{"error": "...", "message": "...", "status": N}`.
 */
export function sendApiResponse(res: Response, status: number, message: string, error = ''): void {
  res.status(status).json({ error, message, status });
}

/**
 * The answer to a method that a known path does not have, as the reference
 * server's router gives it; routers add it after their routes.
 */
export function methodNotAllowed(_req: Request, res: Response): void {
  sendApiResponse(res, 405, 'Method not allowed');
}

/** An error a handler throws to answer with `status`; rendered by the error middleware. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly publicMessage: string;

  constructor(status: number, error: string, message = '', options?: { cause?: unknown }) {
    super(error, options);
    this.status = status;
    this.publicMessage = message;
  }
}
