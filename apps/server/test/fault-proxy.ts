import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A reverse proxy on loopback in front of an object store (s3rver, the GCS
 * test server), whose faults a test sets while it runs: the server under
 * test is pointed at the proxy, and the test decides which of its requests
 * fail, and how.
 */

/** Which requests a rule applies to; every field given must match. */
export interface FaultMatch {
  readonly method?: string;
  /** Tested against the path, without the query. */
  readonly path?: RegExp;
  /** Each parameter named must be present (`true`) or have a value the pattern matches. */
  readonly query?: Readonly<Record<string, true | RegExp>>;
  /** Each header named (lower case) must have a value the pattern matches. */
  readonly headers?: Readonly<Record<string, RegExp>>;
}

export type Fault =
  /** Answers `status` at once, with an error body as the store would write it. */
  | { readonly kind: 'status'; readonly status: number; readonly dialect: 's3' | 'gcs' }
  /** Forwards the first `afterBytes` bytes of the request body, then resets both connections. */
  | { readonly kind: 'reset-request'; readonly afterBytes: number }
  /** Forwards the answer's head and first `afterBytes` body bytes, then resets the client's connection. */
  | { readonly kind: 'reset-response'; readonly afterBytes: number }
  /** Reads the whole request and never answers: a store that hangs. */
  | { readonly kind: 'hold' };

export interface FaultRule extends FaultMatch {
  /** What the counts and the log call it. */
  readonly name: string;
  readonly fault: Fault;
  /** Applies to this many matching requests, the first ones; default every one. */
  readonly times?: number;
}

/** A request the proxy received, and the rule whose fault it got, if any. */
export interface ProxiedRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly fault?: string;
}

export interface FaultProxy {
  readonly endpoint: string;
  /** Replaces the rules (a rule's `times` counts from here); `[]` forwards everything untouched. */
  setRules(rules: readonly FaultRule[]): void;
  /** How many requests of the log got the fault of the rule named `name`. */
  hits(name: string): number;
  /** Every request since the start, or since `clearLog`. */
  readonly requests: readonly ProxiedRequest[];
  clearLog(): void;
  /** Closes the server and destroys every socket, held ones included. */
  stop(): Promise<void>;
}

const S3_CODES: Record<number, [string, string]> = {
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
  503: ['SlowDown', 'Please reduce your request rate.'],
};

/** An error body in the store's own format, so that its client parses it as a real one. */
function errorBody(status: number, dialect: 's3' | 'gcs'): { type: string; text: string } {
  if (dialect === 's3') {
    const [code, message] = S3_CODES[status] ?? ['ServiceUnavailable', 'Service unavailable.'];
    return {
      type: 'application/xml',
      text: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`,
    };
  }
  const message = `injected fault: HTTP ${status}`;
  return {
    type: 'application/json; charset=UTF-8',
    text: JSON.stringify({
      error: {
        code: status,
        message,
        errors: [{ message, domain: 'global', reason: 'backendError' }],
      },
    }),
  };
}

function matches(rule: FaultMatch, method: string, url: URL, headers: IncomingHttpHeaders) {
  if (rule.method && rule.method !== method) return false;
  if (rule.path && !rule.path.test(url.pathname)) return false;
  for (const [name, want] of Object.entries(rule.query ?? {})) {
    const value = url.searchParams.get(name);
    if (value === null || (want !== true && !want.test(value))) return false;
  }
  for (const [name, want] of Object.entries(rule.headers ?? {})) {
    const value = headers[name];
    if (typeof value !== 'string' || !want.test(value)) return false;
  }
  return true;
}

/** Headers that describe one hop, not the message: each side sets its own. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'expect', 'transfer-encoding']);

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_HEADERS.has(name)));
}

/** Starts a proxy on 127.0.0.1 in front of `backend` (`http://127.0.0.1:port`). */
export async function startFaultProxy(backend: string): Promise<FaultProxy> {
  const target = new URL(backend);
  const sockets = new Set<Socket>();
  const upstreamAgent = new Agent({ keepAlive: true });
  let rules: readonly FaultRule[] = [];
  /** Requests each rule applied to, for its `times`. */
  let used = new Map<FaultRule, number>();
  const log: ProxiedRequest[] = [];
  let endpoint = '';

  const pick = (req: IncomingMessage, url: URL): FaultRule | undefined => {
    const method = req.method ?? 'GET';
    for (const rule of rules) {
      const count = used.get(rule) ?? 0;
      if (rule.times !== undefined && count >= rule.times) continue;
      if (!matches(rule, method, url, req.headers)) continue;
      used.set(rule, count + 1);
      return rule;
    }
    return undefined;
  };

  /** Sends `req` on to the backend; `fault` may cut its body or the answer's. */
  const forward = (req: IncomingMessage, res: ServerResponse, fault?: Fault) => {
    const upstream = request({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      // the Host header is kept: S3 signs it
      headers: forwardable(req.headers),
      agent: upstreamAgent,
    });
    const resetClient = () => {
      upstream.destroy();
      req.socket.resetAndDestroy();
    };
    upstream.on('error', () => {
      if (!res.headersSent) {
        res.writeHead(502);
        res.end();
      } else res.destroy();
    });
    upstream.on('response', (answer) => {
      const headers = forwardable(answer.headers);
      // a resumable upload's session URL names the backend: its chunks must come here too
      if (typeof headers.location === 'string' && headers.location.startsWith(target.origin)) {
        headers.location = endpoint + headers.location.slice(target.origin.length);
      }
      res.writeHead(answer.statusCode ?? 502, headers);
      if (fault?.kind !== 'reset-response') {
        answer.pipe(res);
        return;
      }
      let sent = 0;
      answer.on('data', (chunk: Buffer) => {
        if (sent >= fault.afterBytes) return;
        const room = fault.afterBytes - sent;
        sent += Math.min(room, chunk.length);
        res.write(chunk.subarray(0, room), () => {
          if (sent >= fault.afterBytes) resetClient();
        });
      });
      answer.on('end', () => {
        if (sent < fault.afterBytes) res.end();
      });
    });
    if (fault?.kind !== 'reset-request') {
      req.pipe(upstream);
      return;
    }
    let sent = 0;
    req.on('data', (chunk: Buffer) => {
      if (sent >= fault.afterBytes) return;
      const room = fault.afterBytes - sent;
      sent += Math.min(room, chunk.length);
      upstream.write(chunk.subarray(0, room), () => {
        if (sent >= fault.afterBytes) resetClient();
      });
    });
    req.on('end', () => {
      if (sent < fault.afterBytes) upstream.end();
    });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', endpoint);
    const rule = pick(req, url);
    log.push({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      ...(rule ? { fault: rule.name } : {}),
    });
    const fault = rule?.fault;
    if (fault?.kind === 'hold') {
      req.resume();
      return;
    }
    if (fault?.kind === 'status') {
      // read to the end first: answering mid-upload would make the client's write fail instead
      req.resume();
      req.on('end', () => {
        const body = errorBody(fault.status, fault.dialect);
        res.writeHead(fault.status, {
          'content-type': body.type,
          'content-length': Buffer.byteLength(body.text),
        });
        res.end(body.text);
      });
      return;
    }
    forward(req, res, fault);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    setRules(next) {
      rules = next;
      used = new Map();
    },
    hits: (name) => log.filter((r) => r.fault === name).length,
    get requests() {
      return log;
    },
    clearLog() {
      log.length = 0;
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      upstreamAgent.destroy();
      await closed;
    },
  };
}
