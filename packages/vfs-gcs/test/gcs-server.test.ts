import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GcsServer, startGcsServer } from './gcs-server.js';

// The test server answers as the JSON API reference says, checked here
// without the client library that the backend's tests use.
let server: GcsServer;
const api = (path: string) => `${server.endpoint}${path}`;

beforeAll(async () => {
  server = await startGcsServer(['b']);
});

afterAll(() => server.close());

const insert = (name: string, body: string) =>
  fetch(api(`/upload/storage/v1/b/b/o?uploadType=media&name=${encodeURIComponent(name)}`), {
    method: 'POST',
    body,
  });

describe('the GCS JSON API test server', () => {
  it('gets a bucket, and answers 404 for another', async () => {
    expect(await (await fetch(api('/storage/v1/b/b'))).json()).toMatchObject({ name: 'b' });
    expect((await fetch(api('/storage/v1/b/nope'))).status).toBe(404);
    // as an emulator at STORAGE_EMULATOR_HOST is called
    expect(await (await fetch(api('/b/b'))).json()).toMatchObject({ name: 'b' });
  });

  it('inserts by media and multipart uploads, and gets metadata and ranges', async () => {
    const media = await insert('dir/a.txt', 'hello world');
    expect(await media.json()).toMatchObject({ name: 'dir/a.txt', size: '11', bucket: 'b' });

    const boundary = 'xyz';
    const body = [
      `--${boundary}`,
      'Content-Type: application/json; charset=UTF-8',
      '',
      JSON.stringify({ name: 'dir/b.txt' }),
      `--${boundary}`,
      'Content-Type: text/plain',
      '',
      'multipart body',
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const multipart = await fetch(api('/upload/storage/v1/b/b/o?uploadType=multipart'), {
      method: 'POST',
      headers: { 'content-type': `multipart/related; boundary=${boundary}` },
      body,
    });
    expect(await multipart.json()).toMatchObject({ name: 'dir/b.txt', size: '14' });

    const meta = await fetch(api(`/storage/v1/b/b/o/${encodeURIComponent('dir/a.txt')}`));
    expect(await meta.json()).toMatchObject({ name: 'dir/a.txt', size: '11' });
    const range = await fetch(
      api(`/storage/v1/b/b/o/${encodeURIComponent('dir/a.txt')}?alt=media`),
      {
        headers: { range: 'bytes=6-' },
      },
    );
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe('bytes 6-10/11');
    expect(await range.text()).toBe('world');
  });

  it('takes a resumable upload in chunks, answering 308 until the last', async () => {
    const start = await fetch(api('/upload/storage/v1/b/b/o?uploadType=resumable&name=big.bin'), {
      method: 'POST',
      body: '{}',
    });
    const session = start.headers.get('location');
    expect(session).toBeTruthy();
    const first = await fetch(session!, {
      method: 'PUT',
      headers: { 'content-range': 'bytes 0-3/*' },
      body: 'abcd',
    });
    expect(first.status).toBe(308);
    expect(first.headers.get('range')).toBe('bytes=0-3');
    const out = await fetch(session!, {
      method: 'PUT',
      headers: { 'content-range': 'bytes 8-9/10' },
      body: 'ij',
    });
    expect(out.status).toBe(400);
    const last = await fetch(session!, {
      method: 'PUT',
      headers: { 'content-range': 'bytes 4-9/10' },
      body: 'efghij',
    });
    expect(await last.json()).toMatchObject({ name: 'big.bin', size: '10' });
    expect(server.objects('b').get('big.bin')?.toString()).toBe('abcdefghij');
  });

  it('lists by prefix and delimiter, in pages', async () => {
    for (const n of ['l/1', 'l/2', 'l/3', 'l/sub/x', 'l/sub/y', 'other']) await insert(n, n);
    const page = async (token?: string) =>
      (await (
        await fetch(
          api(
            `/storage/v1/b/b/o?prefix=l/&delimiter=/&maxResults=2${token ? `&pageToken=${token}` : ''}`,
          ),
        )
      ).json()) as { items?: { name: string }[]; prefixes?: string[]; nextPageToken?: string };
    const seen: string[] = [];
    for (let p = await page(), guard = 0; guard < 10; guard++) {
      seen.push(...(p.items ?? []).map((i) => i.name), ...(p.prefixes ?? []));
      if (!p.nextPageToken) break;
      p = await page(p.nextPageToken);
    }
    expect(seen.sort()).toEqual(['l/1', 'l/2', 'l/3', 'l/sub/']);
  });

  it('rewrites and deletes objects', async () => {
    await insert('src.txt', 'copy me');
    const rewrite = await fetch(api('/storage/v1/b/b/o/src.txt/rewriteTo/b/b/o/dst.txt'), {
      method: 'POST',
      body: '{}',
    });
    expect(await rewrite.json()).toMatchObject({ done: true, resource: { name: 'dst.txt' } });
    expect(server.objects('b').get('dst.txt')?.toString()).toBe('copy me');
    expect((await fetch(api('/storage/v1/b/b/o/src.txt'), { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(api('/storage/v1/b/b/o/src.txt'))).status).toBe(404);
  });
});
