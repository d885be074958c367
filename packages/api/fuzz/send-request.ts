// Sending a fuzzed request with fetch, bounded in time, and telling what it
// was in a failure message.
import type { Answer } from './answer-checks.js';
import type { FuzzRequest } from './fuzz-requests.js';

/** Sends `request` below `base`; throws when no answer, its body included, comes within `timeoutMs`. */
export async function sendRequest(
  base: string,
  request: FuzzRequest,
  timeoutMs: number,
): Promise<Answer> {
  const url = new URL(`${base}${request.path}`);
  const { body } = request;
  const headers: Record<string, string> = { ...request.headers };
  if (body?.contentType !== undefined) headers['content-type'] = body.contentType;
  if (body?.contentEncoding !== undefined) headers['content-encoding'] = body.contentEncoding;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, {
      method: request.method,
      headers,
      body: body?.bytes,
      redirect: 'manual',
      signal,
    });
    return {
      method: request.method,
      pathname: url.pathname,
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      text: await res.text(),
      sentBody: body !== undefined && body.bytes.length > 0,
    };
  } catch (err) {
    if (signal.aborted) throw new Error(`no answer within ${timeoutMs / 1000} s`);
    throw new Error(`no answer: ${(err as Error).message} (${String((err as Error).cause ?? '')})`);
  }
}

/**
 * The top-level keys of the JSON object `request` sent, as a JSON parser
 * makes them, own keys all (`__proto__` too); undefined when the body is not
 * plain JSON of an object (encoded, or not JSON), which the checks then skip.
 */
export function sentFields(request: FuzzRequest): string[] | undefined {
  const { body } = request;
  if (!body || body.contentEncoding !== undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(body.bytes).toString('utf8'));
    return typeof value === 'object' && value !== null ? Object.keys(value) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `text` for a failure message: runs of one character collapsed (`u×255`),
 * so that what follows a long name still shows, then cut at `max`.
 */
export function shorten(text: string, max = 300): string {
  const collapsed = text.replace(/(.)\1{19,}/gs, (run, c: string) => `${c}×${run.length}`);
  return collapsed.length > max
    ? `${collapsed.slice(0, max)}… (${text.length} characters)`
    : collapsed;
}

/** `request` in a line, its body cut short, for a failure message. */
export function describeRequest(request: FuzzRequest): string {
  const path = shorten(request.path, 200);
  const { body } = request;
  if (!body) return `${request.method} ${path}`;
  const shown = shorten(Buffer.from(body.bytes).toString('utf8'));
  const encoding = body.contentEncoding ? `, ${body.contentEncoding}` : '';
  return `${request.method} ${path} [${body.kind}, ${body.contentType ?? 'no type'}${encoding}] ${JSON.stringify(shown)}`;
}
