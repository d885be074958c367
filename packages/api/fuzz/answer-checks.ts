// What every answer of the API must be, whatever was asked: no 5xx, an error
// in the API's JSON body with its words, a status the document gives for
// that operation, and nothing it must not show.
import type { OpenApiDocument } from '@sftpgo/api';
import { shorten } from './send-request.js';

export interface Answer {
  readonly method: string;
  /** The path the server received, with `/api/v1`, as the URL parser normalised it. */
  readonly pathname: string;
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  /** Whether the request had a body, which the API parses on every route. */
  readonly sentBody: boolean;
}

/** An operation of the API's document, and the statuses it documents. */
export interface Operation {
  readonly name: string;
  readonly pattern: RegExp;
  readonly method: string;
  readonly statuses: ReadonlySet<number>;
}

/**
 * The operations of `document` and the statuses each may answer, with the
 * routes' own matching: case-insensitive, a trailing slash ignored.
 */
export function documentedOperations(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    const source = path
      .split(/\{\w+\}/)
      .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
      .join('[^/]+');
    const pattern = new RegExp(`^/api/v1${source}/?$`, 'i');
    for (const [method, operation] of Object.entries(methods)) {
      const statuses = new Set(Object.keys(operation?.responses ?? {}).map(Number));
      operations.push({
        name: `${method} ${path}`,
        pattern,
        method: method.toUpperCase(),
        statuses,
      });
    }
  }
  return operations;
}

/**
 * The statuses the API may answer to `answer`'s request: those documented
 * for its operation; 405 for a path it has without that method; 404 for a
 * path it does not have. With a body, the parser's 400, 413 and 415 on any
 * route; a malformed escape in a path parameter, the router's 400.
 */
function allowedStatuses(operations: readonly Operation[], answer: Answer): Set<number> {
  const onPath = operations.filter((op) => op.pattern.test(answer.pathname));
  // express answers HEAD with the GET route
  const method = answer.method === 'HEAD' ? 'GET' : answer.method;
  const operation = onPath.find((op) => op.method === method);
  const allowed = new Set(operation ? operation.statuses : onPath.length > 0 ? [405] : [404]);
  if (answer.sentBody) for (const status of [400, 413, 415]) allowed.add(status);
  if (operation && /%/.test(answer.pathname)) allowed.add(400);
  return allowed;
}

/** What is wrong with `answer`; `secrets` are texts no answer may contain. */
export function answerProblems(
  operations: readonly Operation[],
  answer: Answer,
  secrets: readonly string[],
): string[] {
  const problems: string[] = [];
  const { status, text } = answer;
  const shown = shorten(text);
  if (status >= 500) problems.push(`answered ${status}: ${shown}`);
  else if (!allowedStatuses(operations, answer).has(status)) {
    problems.push(`answered ${status}, which is not documented for it: ${shown}`);
  }
  for (const secret of secrets) {
    if (text.includes(secret))
      problems.push(`the answer shows ${JSON.stringify(secret.slice(0, 40))}`);
  }
  // an answer to HEAD has no body
  if (answer.method === 'HEAD') return problems;
  if (!/^application\/json\b/.test(answer.contentType)) {
    problems.push(`answered ${status} as ${answer.contentType || 'no type'}, not JSON: ${shown}`);
    return problems;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push(`answered ${status} with a body that is not JSON: ${shown}`);
    return problems;
  }
  if (status < 400) return problems;
  const { error, message, status: bodyStatus } = (body ?? {}) as Record<string, unknown>;
  if (typeof error !== 'string' || typeof message !== 'string' || bodyStatus !== status) {
    problems.push(`answered ${status} without the API's {error, message, status} body: ${shown}`);
  } else if (error === '' && message === '') {
    problems.push(`answered ${status} without a word of why: ${shown}`);
  }
  return problems;
}
