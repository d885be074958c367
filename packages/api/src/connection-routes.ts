import { type Request, type Response, Router } from 'express';
import { HttpError, methodNotAllowed, sendApiResponse } from './api-response.js';

/** The live connections, as the SSH service keeps them (`SftpServer` fits). */
export interface ConnectionRegistry {
  listConnections(): readonly unknown[];
  /** False when no connection has that id. */
  closeConnection(id: string): boolean;
}

/** `/connection` routes of the v1 API. */
export function connectionRoutes(registry: ConnectionRegistry): Router {
  const router = Router();

  router.get('/connection', (_req: Request, res: Response) => {
    res.status(200).json(registry.listConnections());
  });

  router.delete('/connection/:connectionId', (req: Request<{ connectionId: string }>, res) => {
    if (!registry.closeConnection(req.params.connectionId))
      throw new HttpError(404, '', 'Not Found');
    sendApiResponse(res, 200, 'Connection closed');
  });

  router.all(['/connection', '/connection/:connectionId'], methodNotAllowed);

  return router;
}
