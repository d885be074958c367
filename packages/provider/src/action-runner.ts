import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** How one run of an action's command or notification went. */
export interface ActionResult {
  readonly ok: boolean;
  /** Why it failed, when it did. */
  readonly error?: string;
  /** The command's exit code, when it exited on its own. */
  readonly exitCode?: number;
  /** The HTTP status, when the server answered. */
  readonly status?: number;
}

/**
 * Runs an action's program with `args` and `env` added to this process's
 * environment, killing it (SIGKILL) after `timeoutMs`. Never rejects.
 */
export function runActionCommand(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<ActionResult> {
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      // No shell: the values go to the program as they are, unquoted.
      child = spawn(command, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
    } catch (err) {
      // a NUL in an argument, for one
      resolve({ ok: false, error: (err as Error).message });
      return;
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, error: err.message });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve({ ok: false, error: `killed: not finished in ${timeoutMs} ms` });
      else if (code === 0) resolve({ ok: true, exitCode: 0 });
      else if (code !== null) resolve({ ok: false, exitCode: code, error: `exit code ${code}` });
      else resolve({ ok: false, error: `killed by ${signal}` });
    });
  });
}

/** Sends an action's HTTP notification; a 2xx answer is success. Never rejects. */
export async function sendActionNotification(
  url: URL,
  init: { readonly method: 'GET' | 'POST'; readonly json?: unknown },
  timeoutMs: number,
): Promise<ActionResult> {
  try {
    const response = await fetch(url, {
      method: init.method,
      ...(init.json === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.json) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Nobody reads the answer; cancelling frees the connection.
    await response.body?.cancel();
    const { status } = response;
    return response.ok ? { ok: true, status } : { ok: false, status, error: `HTTP ${status}` };
  } catch (err) {
    return { ok: false, error: fetchError(err, timeoutMs) };
  }
}

/** fetch hides the reason of a network failure in `cause`. */
function fetchError(err: unknown, timeoutMs: number): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return `no answer in ${timeoutMs} ms`;
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

/** Whether `value` is an http or https URL, as the actions' settings require. */
export function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'http:' || protocol === 'https:';
}

/** What an action runs: its program, its HTTP notification. */
export type ActionTarget = 'command' | 'http';

/**
 * Runs the targets given at once, timing each, and tells `report` how each
 * went; resolves when all are done and never rejects: a target that throws
 * (an unparsable URL, a NUL in an argument) is reported as failed.
 */
export async function runActionTargets(
  targets: Partial<Record<ActionTarget, () => Promise<ActionResult>>>,
  report: (target: ActionTarget, elapsedMs: number, result: ActionResult) => void,
): Promise<void> {
  await Promise.all(
    (Object.entries(targets) as [ActionTarget, () => Promise<ActionResult>][]).map(
      async ([target, run]) => {
        const start = performance.now();
        // from a promise, so that a target throwing at once is caught too
        const result = await Promise.resolve()
          .then(run)
          .catch((err: unknown): ActionResult => ({ ok: false, error: String(err) }));
        report(target, Math.round(performance.now() - start), result);
      },
    ),
  );
}
