// A route is declared once: the router serves what its declaration names,
// and its handler reads only the parameters declared.
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { mountRoutes, route } from '../src/route.js';
import { listen } from './helpers.js';

const item = route(
  {
    method: 'get',
    path: '/item/{itemID}',
    tag: 'items',
    operationId: 'get_item',
    summary: 'An item',
    params: { itemID: z.string() },
    query: { verbose: z.string().optional() },
    responses: { 200: 'The item.' },
  },
  ({ prefix }: { prefix: string }, { param, query, res }) => {
    // @ts-expect-error: a parameter the declaration does not name cannot be read
    query('undeclared');
    res.json({ id: `${prefix}${param('itemID')}`, verbose: query('verbose') ?? null });
  },
);

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** `item` mounted below `/api/v1`, with `prefix` as its dependency. */
async function serveItem(prefix: string): Promise<string> {
  const app = express();
  const router = express.Router();
  mountRoutes(router, [item], { prefix });
  app.use('/api/v1', router);
  const server = await listen(app);
  close = server.close;
  return server.base;
}

describe('mountRoutes', () => {
  it('serves a route at the express form of its path template, with its dependencies', async () => {
    const base = await serveItem('item-');
    const res = await fetch(`${base}/item/42?verbose=yes&verbose=no`);
    expect(await res.json()).toEqual({ id: 'item-42', verbose: 'yes' });
  });

  it('answers 405 to the methods a declared path does not have', async () => {
    const base = await serveItem('');
    const res = await fetch(`${base}/item/42`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(await res.json()).toEqual({ error: '', message: 'Method not allowed', status: 405 });
  });
});
