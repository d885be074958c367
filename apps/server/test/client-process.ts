import { type ChildProcess, spawn } from 'node:child_process';
import { expect } from 'vitest';

/** How a client program ended, and what it printed. */
export interface RunResult {
  readonly code: number | null;
  /** The signal that ended the client: SIGKILL when it ran out of time. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What a started process prints, once it has ended. */
export function outputOf(child: ChildProcess): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** SIGKILL to the client's process group (it leads one), so that its helpers go too. */
function kill(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/**
 * Real client programs started in one working directory with one
 * environment, each leading its own process group so that {@link killAll}
 * stops them with their helpers (ssh, java), whatever state a failed test
 * left them in.
 */
export class ClientProcesses {
  readonly #running = new Set<ChildProcess>();

  constructor(
    private readonly cwd: () => string,
    private readonly env: () => NodeJS.ProcessEnv,
  ) {}

  /** Starts a client that the caller talks to and stops (a mount, a driven program). */
  start(command: string, args: readonly string[]): ChildProcess {
    const child = spawn(command, args, {
      cwd: this.cwd(),
      env: { ...process.env, ...this.env() },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.#running.add(child);
    child.once('close', () => this.#running.delete(child));
    return child;
  }

  /** Runs a client to completion, with `input` on its stdin; it is killed after `timeoutMs`. */
  run(
    command: string,
    args: readonly string[],
    options: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<RunResult> {
    const child = spawn(command, args, {
      cwd: this.cwd(),
      env: { ...process.env, ...this.env(), ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.#running.add(child);
    child.stdin?.end(options.input);
    const timer = setTimeout(() => kill(child), options.timeoutMs ?? 30_000);
    return outputOf(child).finally(() => {
      clearTimeout(timer);
      this.#running.delete(child);
    });
  }

  /** Kills every client still running. */
  killAll(): void {
    for (const child of this.#running) kill(child);
    this.#running.clear();
  }
}

/** Exit status 0, with the client's output in the failure message. */
export function expectSuccess(result: RunResult): void {
  const { signal, stdout, stderr } = result;
  expect(result.code, `signal: ${signal}\nstdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0);
}
