import type { Request, Router } from 'express';
import type { ConnectionRegistry } from '../connection-routes.js';
import { PageError, type WebPages } from './web-pages.js';

/** A live connection as the registry lists it (the API's ConnectionStatus). */
interface ConnectionView {
  readonly username?: string;
  readonly connection_id?: string;
  readonly active_transfers?: readonly unknown[];
}

/** The pages of live connections: the list, and closing one. */
export function connectionPages(
  router: Router,
  { page, done }: WebPages,
  registry: ConnectionRegistry | undefined,
): void {
  async function liveConnections(): Promise<ConnectionView[]> {
    return ((await registry?.listConnections()) ?? []) as ConnectionView[];
  }

  router.get('/connections', async (req, res) => {
    page(req, res, 'connections', {
      title: 'Connections',
      nav: 'connections',
      available: registry !== undefined,
      connections: await liveConnections(),
    });
  });

  router.get('/connection/:id/close', async (req: Request<{ id: string }>, res) => {
    const connection = (await liveConnections()).find((c) => c.connection_id === req.params.id);
    if (!connection) {
      done(res, '/web/connections', `Connection ${req.params.id} is already closed.`);
      return;
    }
    page(req, res, 'connection-close', {
      title: 'Close connection',
      nav: 'connections',
      connection,
    });
  });

  router.post('/connection/:id/close', async (req: Request<{ id: string }>, res) => {
    const id = req.params.id;
    if (!registry) throw new PageError(404, 'Live connections are not available.');
    const connection = (await liveConnections()).find((c) => c.connection_id === id);
    const who = connection?.username ? ` of "${connection.username}"` : '';
    const closed = await registry.closeConnection(id);
    done(
      res,
      '/web/connections',
      closed ? `Connection ${id}${who} closed.` : `Connection ${id} is already closed.`,
    );
  });
}
