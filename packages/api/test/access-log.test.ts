import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApi, type HttpAccess } from '@sftpgo/api';
import { openMemoryProvider } from '@sftpgo/provider';
import { afterAll, beforeAll, expect, it } from 'vitest';

const version = { version: '1.2.3', build_date: '2026-11-28T00:00:00Z', commit_hash: 'abc1234' };
const accesses: HttpAccess[] = [];
let server: Server;
let port: number;

// Listening on `::`, as the server does with an empty bind_address: an IPv4
// client's socket address is IPv4-mapped there
beforeAll(async () => {
  const provider = await openMemoryProvider();
  const app = createApi({ provider, version, onAccess: (a) => accesses.push(a) });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '::', () => resolve(s));
  });
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function accessOf(host: string): Promise<HttpAccess> {
  const res = await fetch(`http://${host}:${port}/api/v1/version`);
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  for (let waited = 0; waited < 2000; waited += 10) {
    const found = accesses.find((a) => a.uri.includes(host));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no access logged for ${host}`);
}

it('logs an IPv4 client as address:port, never in its IPv4-mapped form', async () => {
  const access = await accessOf('127.0.0.1');
  expect(access.remote_addr).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(access).toMatchObject({ method: 'GET', resp_status: 200, proto: 'HTTP/1.1' });
});

it('logs an IPv6 client as [address]:port', async () => {
  const access = await accessOf('[::1]');
  expect(access.remote_addr).toMatch(/^\[::1\]:\d+$/);
});

async function accessWithId(id: string): Promise<{ header: string | null; access: HttpAccess }> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/version?id=${encodeURIComponent(id)}`, {
    headers: { 'x-request-id': id },
  });
  await res.arrayBuffer();
  for (let waited = 0; waited < 2000; waited += 10) {
    const found = accesses.find((a) => a.uri.endsWith(`id=${encodeURIComponent(id)}`));
    if (found) return { header: res.headers.get('x-request-id'), access: found };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no access logged for ${id}`);
}

it("writes the fields in the reference's order", async () => {
  const access = await accessOf('127.0.0.1');
  expect(Object.keys(access)).toEqual([
    'method',
    'proto',
    'remote_addr',
    'request_id',
    'uri',
    'user_agent',
    'resp_status',
    'resp_size',
    'elapsed_ms',
  ]);
});

it('keeps an incoming X-Request-Id that is a short printable token, and no other', async () => {
  const kept = await accessWithId('proxy/abc-000123');
  expect(kept.access.request_id).toBe('proxy/abc-000123');
  expect(kept.header).toBe('proxy/abc-000123');
  for (const bad of ['has space', 'x'.repeat(129)]) {
    const replaced = await accessWithId(bad);
    expect(replaced.access.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(replaced.header).toBe(replaced.access.request_id);
  }
});
