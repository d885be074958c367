import { readFile } from 'node:fs/promises';
import { openApiDocument } from '@sftpgo/api';
import { describe, expect, it } from 'vitest';
import { schemaValidator } from './openapi-validator.js';

const committed = new URL('../../../docs/openapi.json', import.meta.url);

describe('openApiDocument', () => {
  it('matches docs/openapi.json', async () => {
    expect(
      JSON.parse(await readFile(committed, 'utf8')),
      'docs/openapi.json is out of date: run `pnpm docs:openapi`',
    ).toEqual(openApiDocument());
  });

  it('is an OpenAPI 3.0 document whose schemas all compile, with unique operation ids', () => {
    const doc = openApiDocument();
    // 3.0, as the reference server's: swagger-codegen 2 reads no 3.1
    expect(doc.openapi).toBe('3.0.3');
    const text = JSON.stringify(doc);
    for (const only31 of ['"const":', '"$schema":', '"type":[', '"identifier":']) {
      expect(text, only31).not.toContain(only31);
    }
    expect(doc.servers).toEqual([{ url: '/api/v1' }]);
    const validator = schemaValidator(doc);
    const ids: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        ids.push(op.operationId);
        expect(op.summary, where).not.toBe('');
        const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const inPath = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect(inPath, where).toEqual(templated);
        for (const p of op.parameters ?? []) validator.compile(p.schema);
        for (const media of Object.values(op.requestBody?.content ?? {})) {
          validator.compile(media.schema);
        }
        for (const [status, response] of Object.entries(op.responses)) {
          expect(status, where).toMatch(/^[1-5]\d\d$/);
          expect(response.description, `${where} ${status}`).not.toBe('');
          const schema = response.content?.['application/json']?.schema;
          expect(schema, `${where} ${status}: a JSON body`).toBeDefined();
          validator.compile(schema ?? {});
        }
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('tags every operation as the reference server does, for generated client classes', () => {
    const doc = openApiDocument();
    const tagOf = Object.fromEntries(
      Object.values(doc.paths).flatMap((item) =>
        Object.values(item).map((op) => [op.operationId, op.tags.join()]),
      ),
    );
    expect(tagOf).toEqual({
      get_version: 'version',
      get_provider_status: 'providerstatus',
      get_openapi: 'openapi',
      get_users: 'users',
      add_user: 'users',
      get_user_by_id: 'users',
      update_user: 'users',
      delete_user: 'users',
      get_connections: 'connections',
      close_connection: 'connections',
      get_quota_scans: 'quota',
      start_quota_scan: 'quota',
      dumpdata: 'maintenance',
      loaddata: 'maintenance',
    });
    expect((doc.tags as { name: string }[]).map((t) => t.name).sort()).toEqual(
      [...new Set(Object.values(tagOf))].sort(),
    );
  });

  it('never lets a user out with a password', () => {
    const user = openApiDocument().components.schemas.User as {
      properties: Record<string, unknown>;
      additionalProperties: unknown;
    };
    expect(user.properties).not.toHaveProperty('password');
    expect(user.additionalProperties).toBe(false);
  });
});
