import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GcsFs, GcsStore, gcsError } from '@sftpgo/vfs-gcs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A store that fails in the middle of a transfer, or never answers: the
// failure must reach the caller in bounded time, with a clear reason, and
// touch no other transfer.

/** An HTTP server on loopback answering with `handle`; `close` destroys its connections. */
async function serve(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const storeOf = (endpoint: string, idleTimeoutMs: number) =>
  new GcsStore({
    bucket: GcsFs.storage({ bucket: 'b', apiEndpoint: endpoint, idleTimeoutMs }).bucket('b'),
    chunkSize: 256 * 1024,
    idleTimeoutMs,
  });

describe('a Google Cloud Storage store that never answers', () => {
  let silent: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    silent = await serve((req) => req.resume());
  });
  afterAll(() => silent.close());

  it('fails a ranged read after the idle timeout', async () => {
    const store = storeOf(silent.endpoint, 300);
    const started = Date.now();
    const failure = await store.readRange('k', 0, 9).catch((err: unknown) => err);
    expect(store.error(failure, 'read', '/k').message).toBe(
      'read "/k": no answer from the storage for 0.3 s (timeout)',
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('fails an upload after the idle timeout', async () => {
    const store = storeOf(silent.endpoint, 300);
    const upload = store.upload('k');
    const started = Date.now();
    const failure = await (async () => {
      await upload.write(Buffer.alloc(1024 * 1024, 1));
      await upload.finish();
    })().catch((err: unknown) => err);
    expect(store.error(failure, 'write', '/k').message).toBe(
      'write "/k": no answer from the storage for 0.3 s (timeout)',
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('a Google Cloud Storage download cut mid-body', () => {
  const SIZE = 1024 * 1024;
  let store: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    // `cut`: half the body, then a reset; anything else: half, a pause, the rest
    store = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
      res.write(Buffer.alloc(SIZE / 2, 7));
      if (req.url?.includes('cut')) {
        setTimeout(() => req.socket.resetAndDestroy(), 20);
        return;
      }
      setTimeout(() => res.end(Buffer.alloc(SIZE / 2, 7)), 500);
    });
  });
  afterAll(() => store.close());

  it('fails that read, and leaves another read of the same client whole', async () => {
    // the library destroyed its shared agent on a failed read, with every other transfer's connection
    const gcs = storeOf(store.endpoint, 3000);
    const whole = gcs.readRange('whole', 0, SIZE - 1);
    await new Promise((r) => setTimeout(r, 100));
    const cut = await gcs.readRange('cut', 0, SIZE - 1).catch((err: unknown) => err);
    expect(cut).toBeInstanceOf(Error);
    const data = await whole;
    expect(data.length).toBe(SIZE);
  });
});

describe('gcsError', () => {
  it('names the status or the network error of an upload whose retries ran out', () => {
    // Google's library writes them in its message only, beside the upload's URL
    const refused = new Error(
      'Retry limit exceeded - status: 503 - {"error":{"code":503,"message":"backend error"}}',
    );
    expect(gcsError(refused, 'write', '/a').message).toBe('write "/a": storage error (HTTP 503)');
    const reset = new Error(
      'Retry limit exceeded - request to http://host/upload/storage/v1/b/bucket/o?upload_id=x failed, reason: read ECONNRESET - code: ECONNRESET',
    );
    expect(gcsError(reset, 'write', '/a').message).toBe(
      'write "/a": the connection to the storage was cut (ECONNRESET)',
    );
  });
});
