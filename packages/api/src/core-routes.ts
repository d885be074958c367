import type { DataProvider } from '@sftpgo/provider';
import { z } from 'zod';
import { sendApiResponse } from './api-response.js';
import { fromProvider, PROVIDER_FAILURE } from './provider-errors.js';
import { type Route, route } from './route.js';
import { VersionInfoSchema } from './schemas.js';

/** The `/api/v1/version` body. */
export interface VersionInfo {
  readonly version: string;
  readonly build_date: string;
  readonly commit_hash: string;
}

interface CoreRouteDeps {
  readonly provider: DataProvider;
  readonly version: VersionInfo;
  /** The document of the API, served as it is. */
  readonly openApiDocument: () => unknown;
}

/** The routes about the server itself: its version, its provider, its document. */
export const coreRoutes: readonly Route<CoreRouteDeps>[] = [
  route(
    {
      method: 'get',
      path: '/version',
      tag: 'version',
      operationId: 'get_version',
      summary: 'The version of the server',
      responses: { 200: { description: 'The version.', schema: VersionInfoSchema } },
    },
    ({ version }, { res }) => {
      res.json(version);
    },
  ),

  route(
    {
      method: 'get',
      path: '/providerstatus',
      tag: 'providerstatus',
      operationId: 'get_provider_status',
      summary: 'Whether the data provider answers',
      responses: {
        200: '`Alive`: the data provider answers.',
        500: PROVIDER_FAILURE,
      },
    },
    async ({ provider }, { res }) => {
      await fromProvider(provider.checkAvailability());
      sendApiResponse(res, 200, 'Alive');
    },
  ),

  route(
    {
      method: 'get',
      path: '/openapi.json',
      tag: 'openapi',
      operationId: 'get_openapi',
      summary: 'This document',
      responses: {
        200: {
          description: 'The OpenAPI document of the API.',
          schema: z.record(z.string(), z.unknown()),
        },
      },
    },
    ({ openApiDocument }, { res }) => {
      res.json(openApiDocument());
    },
  ),
];
