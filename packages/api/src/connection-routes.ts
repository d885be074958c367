import { z } from 'zod';
import { HttpError, sendApiResponse } from './api-response.js';
import { type Route, route } from './route.js';
import { ConnectionStatusSchema } from './schemas.js';

/**
 * The live connections, as the SSH service keeps them (`SftpServer` fits),
 * or as processes that share the service answer for theirs, later.
 */
export interface ConnectionRegistry {
  listConnections(): readonly unknown[] | Promise<readonly unknown[]>;
  /** False when no connection has that id. */
  closeConnection(id: string): boolean | Promise<boolean>;
}

/** `/connection` routes of the v1 API. */
export const connectionRoutes: readonly Route<{ readonly connections: ConnectionRegistry }>[] = [
  route(
    {
      method: 'get',
      path: '/connection',
      tag: 'connections',
      operationId: 'get_connections',
      summary: 'The live SSH connections',
      responses: {
        200: { description: 'The connections.', schema: z.array(ConnectionStatusSchema) },
      },
    },
    async ({ connections }, { res }) => {
      res.status(200).json(await connections.listConnections());
    },
  ),

  route(
    {
      method: 'delete',
      path: '/connection/{connectionID}',
      tag: 'connections',
      operationId: 'close_connection',
      summary: 'Closes a connection',
      params: {
        connectionID: z.string().min(1).describe('The `connection_id` of a listed connection.'),
      },
      responses: {
        200: '`Connection closed`.',
        404: '`Not Found`: no connection has that id.',
      },
    },
    async ({ connections }, { param, res }) => {
      if (!(await connections.closeConnection(param('connectionID')))) {
        throw new HttpError(404, '', 'Not Found');
      }
      sendApiResponse(res, 200, 'Connection closed');
    },
  ),
];
