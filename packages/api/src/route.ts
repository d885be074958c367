import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import { methodNotAllowed } from './api-response.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/**
 * A documented answer: a text is a message or an error in the API's
 * `{error, message, status}` body; otherwise the body has `schema`.
 */
export type ResponseSpec = string | { readonly description: string; readonly schema: z.ZodType };

/**
 * What a route is, for the router and for the OpenAPI document alike: its
 * method, its path, the parameters its handler may read and the answers it
 * gives. 401 (when `httpd.auth_user_file` is set) and, with a body, 413 and
 * 415 are added to every operation by the document.
 */
export interface RouteSpec<Query extends string = string, Param extends string = string> {
  readonly method: HttpMethod;
  /** An OpenAPI path template, e.g. `/user/{userID}`, below `/api/v1`. */
  readonly path: string;
  /** The reference server's tag of the operation, which generated clients name their classes after. */
  readonly tag: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** The path template's parameters. */
  readonly params?: { readonly [name in Param]: z.ZodType };
  /** The query parameters; a parameter without a default and not optional is required. */
  readonly query?: { readonly [name in Query]: z.ZodType };
  /** The JSON body the route reads. */
  readonly body?: z.ZodType;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

/** A request as a route handler sees it: only the parameters its spec declares. */
export interface RouteCall<Query extends string = string, Param extends string = string> {
  readonly req: Request;
  readonly res: Response;
  /**
   * The first value of a query parameter, as the reference server's
   * `Query().Get` reads it: repeated, it must not become a list that a check
   * made for a string would pass over.
   */
  query(name: Query): string | undefined;
  param(name: Param): string;
}

/** A route: its spec and its handler, which takes what the route needs from the API. */
export interface Route<Deps> {
  readonly spec: RouteSpec;
  handle(deps: Deps, call: RouteCall): unknown;
}

/** Declares a route: the handler may read only the parameters the spec names. */
export function route<Deps, Query extends string = never, Param extends string = never>(
  spec: RouteSpec<Query, Param>,
  handle: (deps: Deps, call: RouteCall<Query, Param>) => unknown,
): Route<Deps> {
  return { spec, handle } as Route<Deps>;
}

/** `/user/{userID}` as express writes it: `/user/:userID`. */
function expressPath(template: string): string {
  return template.replace(/\{(\w+)\}/g, ':$1');
}

/**
 * Adds `routes` to `router`, then the 405 answer of the reference server's
 * router for the other methods of their paths.
 */
export function mountRoutes<Deps>(
  router: Router,
  routes: readonly Route<Deps>[],
  deps: Deps,
): void {
  for (const { spec, handle } of routes) {
    router[spec.method](expressPath(spec.path), (req: Request, res: Response) => {
      const params = req.params as Record<string, string>;
      return handle(deps, {
        req,
        res,
        query(name) {
          const value: unknown = req.query[name];
          const first: unknown = Array.isArray(value) ? value[0] : value;
          return typeof first === 'string' ? first : undefined;
        },
        param: (name) => params[name] ?? '',
      });
    });
  }
  const paths = [...new Set(routes.map(({ spec }) => expressPath(spec.path)))];
  router.all(paths, methodNotAllowed);
}
