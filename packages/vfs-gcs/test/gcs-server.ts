import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Google Cloud Storage JSON API server on loopback, for the tests: no
 * emulator of it installs here. It follows the public API reference for what
 * a storage backend uses: bucket get; object insert (media, multipart and
 * resumable uploads, the latter in chunks); get of metadata and of media,
 * with ranges; list with prefix, delimiter, page size and page tokens;
 * rewrite and copy; delete.
 */
export interface GcsServer {
  readonly endpoint: string;
  /** The objects of a bucket, by name, as stored. */
  objects(bucket: string): ReadonlyMap<string, Buffer>;
  close(): Promise<void>;
}

interface StoredObject {
  readonly data: Buffer;
  readonly contentType: string;
  readonly updated: Date;
  readonly generation: number;
  readonly storageClass: string;
}

interface UploadSession {
  readonly bucket: string;
  readonly name: string;
  readonly contentType: string;
  readonly storageClass: string;
  readonly parts: Buffer[];
  received: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_PAGE = 1000;

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** The JSON part and the media part of a `multipart/related` body. */
function splitMultipart(
  body: Buffer,
  contentType: string,
): { metadata: Record<string, unknown>; media: Buffer } {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new HttpError(400, 'multipart upload without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const sections: Buffer[] = [];
  for (let at = body.indexOf(delimiter); at !== -1; ) {
    const next = body.indexOf(delimiter, at + delimiter.length);
    if (next === -1) break;
    sections.push(body.subarray(at + delimiter.length, next));
    at = next;
  }
  const parts = sections.map((s) => {
    const headerEnd = s.indexOf('\r\n\r\n');
    // each part ends with the CRLF before the next delimiter
    return s.subarray(headerEnd + 4, s.length - 2);
  });
  if (parts.length < 2) throw new HttpError(400, 'multipart upload without two parts');
  return { metadata: JSON.parse(parts[0]!.toString('utf8')), media: parts[1]! };
}

export async function startGcsServer(buckets: readonly string[]): Promise<GcsServer> {
  const store = new Map(buckets.map((b) => [b, new Map<string, StoredObject>()]));
  const sessions = new Map<string, UploadSession>();
  let generation = 1;
  let endpoint = '';

  const bucketOf = (name: string) => {
    const bucket = store.get(name);
    if (!bucket) throw new HttpError(404, `bucket ${name} not found`);
    return bucket;
  };

  const resource = (bucket: string, name: string, o: StoredObject) => ({
    kind: 'storage#object',
    id: `${bucket}/${name}/${o.generation}`,
    selfLink: `${endpoint}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`,
    name,
    bucket,
    generation: String(o.generation),
    metageneration: '1',
    contentType: o.contentType,
    storageClass: o.storageClass,
    size: String(o.data.length),
    timeCreated: o.updated.toISOString(),
    updated: o.updated.toISOString(),
  });

  const store1 = (
    bucket: string,
    name: string,
    data: Buffer,
    meta: { contentType?: unknown; storageClass?: unknown },
  ) => {
    const stored: StoredObject = {
      data,
      contentType:
        typeof meta.contentType === 'string' ? meta.contentType : 'application/octet-stream',
      storageClass: typeof meta.storageClass === 'string' ? meta.storageClass : 'STANDARD',
      updated: new Date(),
      generation: generation++,
    };
    bucketOf(bucket).set(name, stored);
    return resource(bucket, name, stored);
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  async function upload(req: IncomingMessage, res: ServerResponse, url: URL, bucket: string) {
    bucketOf(bucket);
    const type = url.searchParams.get('uploadType');
    if (type === 'media') {
      const name = url.searchParams.get('name');
      if (!name) throw new HttpError(400, 'an object name is required');
      const data = await bodyOf(req);
      return json(
        res,
        200,
        store1(bucket, name, data, { contentType: req.headers['content-type'] }),
      );
    }
    if (type === 'multipart') {
      const { metadata, media } = splitMultipart(
        await bodyOf(req),
        req.headers['content-type'] ?? '',
      );
      const name = url.searchParams.get('name') ?? (metadata.name as string | undefined);
      if (!name) throw new HttpError(400, 'an object name is required');
      return json(res, 200, store1(bucket, name, media, metadata));
    }
    if (type === 'resumable') {
      const text = (await bodyOf(req)).toString('utf8');
      const metadata = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const name = url.searchParams.get('name') ?? (metadata.name as string | undefined);
      if (!name) throw new HttpError(400, 'an object name is required');
      const id = randomUUID();
      sessions.set(id, {
        bucket,
        name,
        contentType:
          typeof metadata.contentType === 'string'
            ? metadata.contentType
            : 'application/octet-stream',
        storageClass:
          typeof metadata.storageClass === 'string' ? metadata.storageClass : 'STANDARD',
        parts: [],
        received: 0,
      });
      res.writeHead(200, {
        location: `${endpoint}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&upload_id=${id}`,
      });
      return res.end();
    }
    throw new HttpError(400, `unknown uploadType ${type}`);
  }

  /** A chunk of a resumable upload: `Content-Range: bytes a-b/total` (or `*` while unknown). */
  async function resumeChunk(req: IncomingMessage, res: ServerResponse, id: string) {
    const session = sessions.get(id);
    if (!session) throw new HttpError(404, 'no such upload session');
    const data = await bodyOf(req);
    const range = req.headers['content-range'] ?? `bytes 0-${data.length - 1}/${data.length}`;
    const status = /^bytes \*\/(\d+|\*)$/.exec(range);
    const chunk = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(range);
    let total: string | undefined;
    if (status) {
      total = status[1];
    } else if (chunk) {
      const start = Number(chunk[1]);
      if (start !== session.received) {
        throw new HttpError(400, `chunk at ${start} where ${session.received} was expected`);
      }
      session.parts.push(data);
      session.received += data.length;
      total = chunk[3];
    } else {
      throw new HttpError(400, `bad Content-Range ${range}`);
    }
    if (total !== undefined && total !== '*' && Number(total) === session.received) {
      sessions.delete(id);
      return json(
        res,
        200,
        store1(session.bucket, session.name, Buffer.concat(session.parts), session),
      );
    }
    const headers: Record<string, string> = {};
    if (session.received > 0) headers.range = `bytes=0-${session.received - 1}`;
    res.writeHead(308, headers);
    res.end();
  }

  function media(req: IncomingMessage, res: ServerResponse, o: StoredObject) {
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let data = o.data;
    const headers: Record<string, string | number> = {
      'content-type': o.contentType,
      'x-goog-generation': o.generation,
      'x-goog-stored-content-length': o.data.length,
    };
    let status = 200;
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), o.data.length - 1) : o.data.length - 1;
      if (start >= o.data.length) {
        res.writeHead(416, { 'content-range': `bytes */${o.data.length}` });
        return res.end();
      }
      data = o.data.subarray(start, end + 1);
      headers['content-range'] = `bytes ${start}-${end}/${o.data.length}`;
      status = 206;
    }
    headers['content-length'] = data.length;
    res.writeHead(status, headers);
    res.end(data);
  }

  function list(res: ServerResponse, url: URL, bucket: string) {
    const objects = bucketOf(bucket);
    const prefix = url.searchParams.get('prefix') ?? '';
    const delimiter = url.searchParams.get('delimiter') ?? '';
    const pageSize =
      Math.min(Number(url.searchParams.get('maxResults') ?? DEFAULT_PAGE), DEFAULT_PAGE) ||
      DEFAULT_PAGE;
    const after = url.searchParams.get('pageToken')
      ? Buffer.from(url.searchParams.get('pageToken')!, 'base64url').toString()
      : '';
    // names and prefixes in one sorted sequence, paged together as GCS does
    const entries = new Map<string, { prefix: true } | { name: string; o: StoredObject }>();
    for (const [name, o] of objects) {
      if (!name.startsWith(prefix)) continue;
      const rest = name.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (cut === -1) entries.set(name, { name, o });
      else entries.set(prefix + rest.slice(0, cut + delimiter.length), { prefix: true });
    }
    const keys = [...entries.keys()].sort().filter((k) => k > after);
    const page = keys.slice(0, pageSize);
    const items = [];
    const prefixes = [];
    for (const k of page) {
      const e = entries.get(k)!;
      if ('prefix' in e) prefixes.push(k);
      else items.push(resource(bucket, e.name, e.o));
    }
    json(res, 200, {
      kind: 'storage#objects',
      ...(items.length ? { items } : {}),
      ...(prefixes.length ? { prefixes } : {}),
      ...(keys.length > page.length
        ? { nextPageToken: Buffer.from(page.at(-1)!).toString('base64url') }
        : {}),
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', endpoint);
    // With STORAGE_EMULATOR_HOST, Google's library sends the JSON API's
    // calls to the host itself, without /storage/v1, as emulators accept.
    const path = url.pathname.startsWith('/b/') ? `/storage/v1${url.pathname}` : url.pathname;
    const method = req.method ?? 'GET';
    const part = (m: RegExpExecArray, i: number) => decodeURIComponent(m[i]!);

    const uploads = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    if (uploads) {
      const id = url.searchParams.get('upload_id');
      if (id && (method === 'PUT' || method === 'POST')) return resumeChunk(req, res, id);
      if (id && method === 'DELETE') {
        sessions.delete(id);
        res.writeHead(499);
        return res.end();
      }
      if (method === 'POST') return upload(req, res, url, part(uploads, 1));
    }
    const bucket = /^\/storage\/v1\/b\/([^/]+)$/.exec(path);
    if (bucket && method === 'GET') {
      const name = part(bucket, 1);
      bucketOf(name);
      return json(res, 200, { kind: 'storage#bucket', id: name, name, storageClass: 'STANDARD' });
    }
    const listing = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    if (listing && method === 'GET') return list(res, url, part(listing, 1));
    const copy =
      /^\/storage\/v1\/b\/([^/]+)\/o\/(.+?)\/(rewriteTo|copyTo)\/b\/([^/]+)\/o\/(.+)$/.exec(path);
    if (copy && method === 'POST') return copyObject(req, res, copy);
    const object = /^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(path);
    if (object && (method === 'GET' || method === 'DELETE')) {
      const objects = bucketOf(part(object, 1));
      const name = part(object, 2);
      const o = objects.get(name);
      if (!o) throw new HttpError(404, `no such object ${name}`);
      if (method === 'DELETE') {
        objects.delete(name);
        res.writeHead(204);
        return res.end();
      }
      if (url.searchParams.get('alt') === 'media') return media(req, res, o);
      return json(res, 200, resource(part(object, 1), name, o));
    }
    throw new HttpError(404, `no route for ${method} ${path}`);
  }

  /** rewriteTo and copyTo: `m` holds source bucket, object, verb, target bucket, object. */
  async function copyObject(req: IncomingMessage, res: ServerResponse, m: RegExpExecArray) {
    const [from, source, verb, to, target] = [1, 2, 3, 4, 5].map((i) => decodeURIComponent(m[i]!));
    const o = bucketOf(from!).get(source!);
    if (!o) throw new HttpError(404, `no such object ${source}`);
    const body = (await bodyOf(req)).toString('utf8');
    const meta = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    const copied = store1(to!, target!, o.data, {
      contentType: o.contentType,
      storageClass: meta.storageClass ?? o.storageClass,
    });
    if (verb === 'copyTo') return json(res, 200, copied);
    const size = String(o.data.length);
    return json(res, 200, {
      kind: 'storage#rewriteResponse',
      totalBytesRewritten: size,
      objectSize: size,
      done: true,
      resource: copied,
    });
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent)
        json(res, status, {
          error: {
            code: status,
            message,
            errors: [{ message, reason: status === 404 ? 'notFound' : 'invalid' }],
          },
        });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    objects: (bucket) => new Map([...bucketOf(bucket)].map(([k, v]) => [k, v.data])),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
