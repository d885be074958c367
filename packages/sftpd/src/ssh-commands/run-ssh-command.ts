import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { User } from '@sftpgo/provider';
import { type Fs, OsFs, scanUsage } from '@sftpgo/vfs';
import { DirectoryPermissions } from '../directory-permissions.js';
import { OwnershipFs } from '../ownership-fs.js';
import type { QuotaStore, QuotaTracking } from '../quota-fs.js';
import { CHECKSUM_COMMANDS, type ChecksumCommand, runChecksum } from './checksum.js';
import { splitCommandLine } from './command-line.js';
import { descendantsOf } from './process-tree.js';
import { type BoundDirectory, findProgram, type Sandbox, systemSandbox } from './sandbox.js';
import {
  CommandRefusedError,
  type PreparedCommand,
  prepareSystemCommand,
  SYSTEM_COMMANDS,
  type SystemCommand,
  systemCommandEnv,
} from './system-command.js';

/** Every command of the spec's `enabled_ssh_commands`; `*` enables them all. */
export const SSH_COMMANDS = [
  'scp',
  ...(Object.keys(CHECKSUM_COMMANDS) as ChecksumCommand[]),
  'cd',
  'pwd',
  ...SYSTEM_COMMANDS,
] as const;

/** An exec channel: the client's stdin and stdout, and its stderr. */
export interface CommandChannel extends Duplex {
  readonly stderr: Writable;
}

/** What a command needs of the session that runs it. */
export interface SshCommandSession {
  readonly user: User;
  /**
   * The user's storage as it is, for checksums; system programs run only
   * where it is the local filesystem (an {@link OsFs}).
   */
  readonly storage: Fs;
  /** The user's files through the session policy (permissions, quota, events), for scp. */
  openPolicyFs(): Fs;
  readonly quotaStore: QuotaStore;
  readonly quotaTracking: QuotaTracking;
  /**
   * The scp engine, when the package is there: runs `scp -t|-f ...` on `fs`.
   * The channel is an ssh2 channel, which has copied each chunk written to
   * it into SSH packets by the time it calls back.
   */
  readonly runScp?: (argv: readonly string[], channel: CommandChannel, fs: Fs) => Promise<number>;
}

/** How a command ended. */
export interface SshCommandResult {
  readonly command: string;
  readonly exitCode: number;
}

function isEnabled(enabled: ReadonlySet<string>, command: string): boolean {
  return enabled.has('*') || enabled.has(command);
}

/**
 * Whether an exec request names a command of the server that is in
 * `enabled`. The server refuses any other request, as the reference does:
 * OpenSSH's ssh then says `exec request failed` and exits with 255.
 */
export function isCommandServed(commandLine: string, enabled: ReadonlySet<string>): boolean {
  let command: string;
  try {
    command = splitCommandLine(commandLine)[0] ?? '';
  } catch {
    return false;
  }
  return (SSH_COMMANDS as readonly string[]).includes(command) && isEnabled(enabled, command);
}

function refused(channel: CommandChannel, command: string, message: string): SshCommandResult {
  channel.stderr.write(`${message}\n`);
  return { command, exitCode: 1 };
}

/**
 * Runs one exec request of a logged-in user: a built-in command, scp, or a
 * system program confined to the home; anything else, or a command not in
 * `enabled`, is refused on stderr with status 1.
 */
export async function runSshCommand(
  commandLine: string,
  channel: CommandChannel,
  session: SshCommandSession,
  enabled: ReadonlySet<string>,
): Promise<SshCommandResult> {
  let words: string[];
  try {
    words = splitCommandLine(commandLine);
  } catch (err) {
    return refused(channel, '', `cannot parse the command: ${(err as Error).message}`);
  }
  const [command = '', ...args] = words;
  const known: readonly string[] = SSH_COMMANDS;
  if (!known.includes(command) || !isEnabled(enabled, command)) {
    return refused(channel, command, `command ${JSON.stringify(command)} is not enabled`);
  }
  const permissions = new DirectoryPermissions(session.user.permissions);
  if (command === 'cd') return { command, exitCode: 0 };
  if (command === 'pwd') {
    channel.write('/\n');
    return { command, exitCode: 0 };
  }
  if (command in CHECKSUM_COMMANDS) {
    const io = { input: channel, output: channel, errors: channel.stderr };
    const exitCode = await runChecksum(
      command as ChecksumCommand,
      args,
      io,
      session.storage,
      permissions,
    );
    return { command, exitCode };
  }
  if (command === 'scp') {
    if (!session.runScp) return refused(channel, command, 'scp is not available');
    const exitCode = await session.runScp(words, channel, session.openPolicyFs());
    return { command, exitCode };
  }
  const { storage } = session;
  if (!(storage instanceof OsFs)) {
    // the program would see a local directory, not the user's files
    return refused(
      channel,
      command,
      `${command} works only on the local filesystem: this account's files are in object storage`,
    );
  }
  let prepared: PreparedCommand;
  try {
    prepared = await prepareSystemCommand(
      command as SystemCommand,
      args,
      storage,
      permissions,
      Object.keys(session.user.permissions),
    );
  } catch (err) {
    if (err instanceof CommandRefusedError) return refused(channel, command, err.message);
    throw err;
  }
  return runSystemCommand(prepared, channel, session, storage);
}

/** Bytes and files the user may still add, per the spec: files checked at start. */
async function remainingQuota(
  session: SshCommandSession,
): Promise<{ bytes: number } | { refused: string }> {
  const { user } = session;
  const fresh = (await session.quotaStore.getUserByUsername(user.username)) ?? user;
  if (fresh.quota_files > 0 && fresh.used_quota_files >= fresh.quota_files) {
    return { refused: 'quota exceeded: no more files allowed' };
  }
  if (fresh.quota_size > 0) {
    const bytes = fresh.quota_size - fresh.used_quota_size;
    if (bytes <= 0) return { refused: 'quota exceeded: no space left' };
    return { bytes };
  }
  return { bytes: Number.POSITIVE_INFINITY };
}

function tracksQuota(session: SshCommandSession): boolean {
  const { user } = session;
  const limited = user.quota_size > 0 || user.quota_files > 0;
  return session.quotaTracking === 1 || (session.quotaTracking === 2 && limited);
}

async function runSystemCommand(
  prepared: PreparedCommand,
  channel: CommandChannel,
  session: SshCommandSession,
  storage: OsFs,
): Promise<SshCommandResult> {
  const { program } = prepared;
  let allowed = Number.POSITIVE_INFINITY;
  if (prepared.writes) {
    const left = await remainingQuota(session);
    if ('refused' in left) return refused(channel, program, `${program}: ${left.refused}`);
    allowed = left.bytes;
  }
  // the sandbox would bind the whole system read-write over itself
  if (prepared.bound.host === '/') {
    return refused(channel, program, `${program}: a home of / cannot be confined`);
  }
  let sandbox: Sandbox;
  try {
    sandbox = await systemSandbox();
  } catch {
    return refused(channel, program, `${program}: the sandbox of system commands is not available`);
  }
  const file = await findProgram(program);
  if (!file) {
    channel.stderr.write(`${program}: not installed on the server\n`);
    return { command: program, exitCode: 127 };
  }
  const { user } = session;
  // the directories checked, held open and given to bwrap by descriptor (3, 4, ...)
  const bound = [prepared.bound, ...(prepared.shown ?? [])];
  const descriptors: number[] = [];
  let child: ChildProcessByStdio<Writable, Readable, Readable>;
  try {
    for (const dir of bound) descriptors.push(await storage.openDirectory(dir.path));
    const [home, ...shown] = bound.map((dir, i) => ({ fd: 3 + i, dest: dir.host }));
    const view = {
      home: home as BoundDirectory,
      hidden: prepared.hidden,
      shown,
      cwd: prepared.cwd,
    };
    child = spawn(sandbox.bwrap, sandbox.wrap(view, file, prepared.args), {
      // nowhere a user could change: bwrap itself runs outside the sandbox
      cwd: '/',
      env: systemCommandEnv(prepared.bound.host),
      stdio: ['pipe', 'pipe', 'pipe', ...descriptors],
      // out of the server's process group: a Ctrl-C on its terminal is the server's to handle
      detached: true,
      // the user's own account, as the files of an SFTP session get it
      ...(OwnershipFs.applies(user) ? { uid: user.uid, gid: user.gid } : {}),
    }) as ChildProcessByStdio<Writable, Readable, Readable>;
  } catch (err) {
    return refused(channel, program, `${program}: ${(err as Error).message}`);
  } finally {
    // the child has its copies from the moment spawn returns
    for (const fd of descriptors) closeSync(fd);
  }
  let ended = false;
  // reaped at its exit: from then on its pid may be reused
  child.once('exit', () => {
    ended = true;
  });
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    // once it has ended, its id may name someone else's process
    if (ended || child.pid === undefined) return;
    // the programs are in a session and a PID namespace of their own: each is
    // signalled, so that rsync and the receiver it forks clean up on SIGTERM;
    // bwrap itself only on SIGKILL, which takes the whole namespace with it
    const inside = await descendantsOf(child.pid);
    if (ended) return;
    const targets = signal === 'SIGKILL' || inside.length === 0 ? [child.pid, ...inside] : inside;
    for (const pid of targets) {
      try {
        process.kill(pid, signal);
      } catch {
        // it has ended already
      }
    }
  };
  let received = 0;
  let overQuota = false;
  channel.on('data', (chunk: Buffer) => {
    received += chunk.length;
    // the bytes the client sends: files and protocol together, as the spec counts them
    if (received > allowed && !overQuota) {
      overQuota = true;
      channel.stderr.write(
        `${program}: quota exceeded: the command sent more than the space left\n`,
      );
      channel.unpipe(child.stdin);
      // SIGTERM first: rsync then removes its partial file, which would count against the quota
      void stop('SIGTERM');
      setTimeout(() => void stop('SIGKILL'), 5000).unref();
    }
  });
  // a client that goes away takes its command with it, even one that ignores SIGTERM
  channel.once('close', () => {
    void stop('SIGTERM');
    setTimeout(() => void stop('SIGKILL'), 5000).unref();
  });
  channel.pipe(child.stdin).on('error', () => undefined);
  child.stdout.pipe(channel, { end: false });
  child.stderr.pipe(channel.stderr, { end: false });
  const exitCode = await new Promise<number>((resolve) => {
    child.once('error', (err) => {
      channel.stderr.write(`${program}: ${err.message}\n`);
      resolve(127);
    });
    child.once('close', (code) => resolve(code ?? 1));
  });
  ended = true;
  channel.unpipe(child.stdin);
  if (prepared.writes && tracksQuota(session)) {
    // the program changed the disk directly: count it all again
    const usage = await scanUsage(session.storage);
    await session.quotaStore.updateQuota(session.user.username, {
      reset: { size: usage.size, files: usage.files },
    });
  }
  return { command: program, exitCode: overQuota ? 1 : exitCode };
}
