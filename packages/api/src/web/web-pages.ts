import type { Request, Response } from 'express';
import type { TemplateName } from './templates.js';

/** How a page of the web admin answers: a rendered template, or a redirect with a notice. */
export interface WebPages {
  /** Renders a page with what every template receives. */
  page(
    req: Request,
    res: Response,
    name: TemplateName,
    data: { title: string; nav?: string } & Record<string, unknown>,
    status?: number,
  ): void;
  /** Redirects after a change, with a message for the next page. */
  done(res: Response, to: string, notice: string): void;
}

/** An error that a page answers with its status and message. */
export class PageError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A query parameter as text; empty when absent or repeated. */
export function queryText(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
