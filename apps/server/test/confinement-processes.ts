import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

// The processes of the confinement tests: the loop that swaps a directory of
// the home for links out of it, the client programs, and the tries run
// against them. Each is stopped by its process id (or group), even when a
// test fails.

/** A loop that swaps an entry of the home for links to the targets; stopped once. */
export interface Swapper {
  stop(): Promise<void>;
}

/**
 * Run by `node -e`: renames `entry` between a real directory and a link,
 * for each link in turn, as fast as it can, and puts back the files of
 * `restore` (relative name → content, or null for a directory) in the real
 * directory now and then, for the operations that remove them.
 */
const SWAP_LOOP = `
const fs = require('node:fs');
const { entry, links, restore } = JSON.parse(process.argv[1]);
const real = entry + '.real';
const quiet = (f) => { try { f(); } catch {} };
for (const [name, target] of links) { quiet(() => fs.unlinkSync(name)); fs.symlinkSync(target, name); }
fs.writeSync(1, 'ready\\n');
for (let n = 0; ; n++) {
  for (const [name] of links) {
    quiet(() => fs.renameSync(entry, real));
    quiet(() => fs.renameSync(name, entry));
    if (n % 16 === 0) {
      for (const [rel, content] of restore) {
        quiet(() => content === null
          ? fs.mkdirSync(real + '/' + rel)
          : fs.writeFileSync(real + '/' + rel, content, { flag: 'wx' }));
      }
    }
    quiet(() => fs.renameSync(entry, name));
    quiet(() => fs.renameSync(real, entry));
  }
}`;

const swappers = new Set<ChildProcess>();
// A worker that dies mid-test still takes its swappers with it.
process.once('exit', () => stopAllSwappers());

function kill(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // it has ended already
  }
}

/** Starts the swap loop of `entry` (a host path in the home) in a process of its own. */
export async function startSwapper(
  entry: string,
  links: [string, string][],
  restore: [string, string | null][] = [],
): Promise<Swapper> {
  const child = spawn(
    process.execPath,
    ['-e', SWAP_LOOP, JSON.stringify({ entry, links, restore })],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  swappers.add(child);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    kill(child);
    await exited;
    swappers.delete(child);
  };
  const ready = await new Promise<boolean>((resolve) => {
    child.stdout?.once('data', () => resolve(true));
    child.once('close', () => resolve(false));
  });
  if (!ready) {
    await stop();
    throw new Error(`the swapper of ${entry} did not start`);
  }
  return { stop };
}

/** Kills, by PID, every swapper still running. */
export function stopAllSwappers(): void {
  for (const child of swappers) kill(child);
  swappers.clear();
}

/** A client program's run: its status, and everything it printed. */
export interface ProgramRun {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

const programs = new Set<ChildProcess>();

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // the group has ended already
  }
}

/** Runs a client program in a process group of its own, killed after `timeoutMs`. */
export function runProgram(
  file: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ProgramRun> {
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  programs.add(child);
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => stdout.push(d));
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => killGroup(child), options.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.once('error', (err) => {
      stderr += err.message;
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      programs.delete(child);
      resolve({ code, stdout: Buffer.concat(stdout), stderr });
    });
  });
}

/** Kills, by process group, every client program still running. */
export function stopAllPrograms(): void {
  for (const child of programs) killGroup(child);
  programs.clear();
}

/**
 * An OpenSSH connection that the clients of the tests share (ControlMaster):
 * scp, ssh, rsync and git then start in milliseconds, with no new login.
 */
export interface SharedConnection {
  /** ssh's options that go through the shared connection; `-p`/`-P` not included. */
  readonly options: readonly string[];
  stop(): Promise<void>;
}

/**
 * Logs in once with sshpass, as `user@127.0.0.1` with `loginOptions` (which
 * give the port), and keeps the connection for others.
 */
export async function startSharedConnection(
  user: string,
  password: string,
  socket: string,
  loginOptions: readonly string[],
): Promise<SharedConnection> {
  const options = [
    '-F',
    '/dev/null',
    '-oStrictHostKeyChecking=no',
    '-oUserKnownHostsFile=/dev/null',
    '-oLogLevel=ERROR',
    '-oBatchMode=yes',
    '-oControlMaster=no',
    `-oControlPath=${socket}`,
  ];
  const master = spawn(
    'sshpass',
    [
      '-e',
      'ssh',
      ...loginOptions,
      '-M',
      '-N',
      '-oControlPersist=no',
      `-oControlPath=${socket}`,
      `${user}@127.0.0.1`,
    ],
    { env: { ...process.env, SSHPASS: password }, stdio: 'ignore', detached: true },
  );
  programs.add(master);
  const exited = new Promise<void>((resolve) => master.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    killGroup(master);
    await exited;
    programs.delete(master);
  };
  for (let waited = 0; ; waited += 100) {
    if (existsSync(socket)) {
      const check = await runProgram('ssh', [...options, '-O', 'check', `${user}@127.0.0.1`]);
      if (check.code === 0) return { options, stop };
    }
    if (waited > 20_000 || master.exitCode !== null) {
      await stop();
      throw new Error('the shared SSH connection did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `attempt(i)` for i = 0…tries−1, `concurrency` at a time, until done or past `budgetMs`. */
export async function hammer(
  tries: number,
  budgetMs: number,
  concurrency: number,
  attempt: (i: number) => Promise<unknown>,
): Promise<{ done: number; ok: number; ms: number }> {
  const start = Date.now();
  let next = 0;
  let ok = 0;
  const worker = async (): Promise<void> => {
    while (next < tries && Date.now() - start < budgetMs) {
      const i = next++;
      try {
        await attempt(i);
        ok++;
      } catch {
        // refused, or missing at that instant: both are fine
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { done: next, ok, ms: Date.now() - start };
}
