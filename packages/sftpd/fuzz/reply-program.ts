// A real authentication program that gives a prepared reply, as a hostile
// or broken one would: a /bin/sh script in a directory of its own that
// records its PID, prints the reply and then exits, dies, hangs or floods.
// What it runs after the reply is `exec`ed, so the PID stays the program's;
// everything else it starts names the directory on its command line, which
// is how a process left behind is found.

import { readdirSync, readFileSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the program does around its reply. */
export type Behaviour =
  | { readonly kind: 'exit'; readonly code: number }
  /** Prints the reply, then dies by SIGKILL. */
  | { readonly kind: 'signal' }
  /** Prints the reply, then never exits. */
  | { readonly kind: 'hang' }
  /** Prints the reply on its standard error, nothing on its output, and exits 0. */
  | { readonly kind: 'stderr' }
  /** Prints the reply, then `line` and a newline without end, or NUL bytes without end when null. */
  | { readonly kind: 'flood'; readonly line: string | null }
  /** Prints the reply line by line, reading `reads[i]` answers after line i, then exits 0. */
  | { readonly kind: 'dialogue'; readonly reads: readonly number[] }
  /** Cannot be started: a missing path, a file without the execute bit, a directory. */
  | { readonly kind: 'unstartable'; readonly how: 'missing' | 'not-executable' | 'directory' };

export interface ReplyProgram {
  readonly path: string;
  /** The program's own directory, named by everything it starts. */
  readonly dir: string;
  /** Where the program writes its PID; absent for a program that cannot start. */
  readonly pidFile: string;
}

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** Writes the program replying `reply` in `dir` (which exists and is the program's alone). */
export async function writeReplyProgram(
  dir: string,
  reply: Buffer,
  behaviour: Behaviour,
): Promise<ReplyProgram> {
  const pidFile = join(dir, 'pid');
  const replyFile = join(dir, 'reply');
  const path = join(dir, 'program.sh');
  await writeFile(replyFile, reply);
  const body = [`echo $$ > ${quote(pidFile)}`];
  switch (behaviour.kind) {
    case 'exit':
      body.push(`cat ${quote(replyFile)}`, `exit ${behaviour.code}`);
      break;
    case 'signal':
      body.push(`cat ${quote(replyFile)}`, 'kill -9 $$');
      break;
    case 'hang':
      body.push(`cat ${quote(replyFile)}`, 'exec sleep 100000');
      break;
    case 'stderr':
      body.push(`cat ${quote(replyFile)} >&2`);
      break;
    case 'flood':
      body.push(
        `cat ${quote(replyFile)}`,
        behaviour.line === null ? 'exec cat /dev/zero' : `exec yes ${quote(behaviour.line)}`,
      );
      break;
    case 'dialogue': {
      const lines = splitLines(reply);
      for (const [i, line] of lines.entries()) {
        const stepFile = join(dir, `step-${i}`);
        await writeFile(stepFile, line);
        body.push(`cat ${quote(stepFile)}`);
        for (let n = behaviour.reads[i] ?? 0; n > 0; n--) body.push('read -r answer');
      }
      break;
    }
    case 'unstartable':
      if (behaviour.how === 'missing') return { path: join(dir, 'missing'), dir, pidFile };
      if (behaviour.how === 'directory') return { path: dir, dir, pidFile };
  }
  await writeFile(path, `#!/bin/sh\n${body.join('\n')}\n`);
  if (behaviour.kind !== 'unstartable') await chmod(path, 0o755);
  return { path, dir, pidFile };
}

/** `bytes` cut after each newline, each piece keeping its own. */
export function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let end = bytes.indexOf(10); end !== -1; end = bytes.indexOf(10, start)) {
    lines.push(bytes.subarray(start, end + 1));
    start = end + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The PIDs of the processes whose command line names `dir`: the script, its
 * `cat`s. Read synchronously: a few hundred tiny files, faster so than
 * through the thread pool.
 */
function processesNaming(dir: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return []; // no procfs: only the program's own PID is checked
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let commandLine = '';
    try {
      commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      // ended meanwhile
    }
    if (commandLine.includes(`${dir}/`)) found.push(Number(entry));
  }
  return found;
}

/**
 * The processes of the program in `dir` still running after `waitMs`: its
 * own PID, and any process it started that names its directory. A killed
 * program is gone once Node has reaped it, which takes a turn of the event
 * loop or a few: the wait covers that.
 */
export async function leftoverProcesses(program: ReplyProgram, waitMs: number): Promise<number[]> {
  const text = await readFile(program.pidFile, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  const deadline = performance.now() + waitMs;
  for (;;) {
    const left = processesNaming(program.dir).filter((p) => p !== pid);
    if (pid > 0 && isAlive(pid)) left.unshift(pid);
    if (left.length === 0 || performance.now() > deadline) return left;
    await sleep(20);
  }
}

/** Ends what `leftoverProcesses` found, so that one failed case does not weigh on the next. */
export function killProcesses(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
