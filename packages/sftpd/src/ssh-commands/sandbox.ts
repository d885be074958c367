import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, lstat, readlink, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/** Where the programs are looked for, on the host and in the sandbox alike. */
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The top-level links of a merged `/usr` (or, on older systems, real directories). */
const SYSTEM_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * The only files of `/etc` the programs see: names of accounts and groups,
 * how to look them up, the time zone and the dynamic linker's cache. Never
 * `/etc` whole: it holds `/etc/shadow` and the server's own configuration;
 * and not `/etc/gitconfig`, which git must not read.
 */
const ETC_FILES = [
  '/etc/passwd',
  '/etc/group',
  '/etc/nsswitch.conf',
  '/etc/localtime',
  '/etc/ld.so.cache',
];

/** How long the start-up probe may take before it counts as failed. */
const PROBE_TIMEOUT_MS = 10_000;

/** The sandbox cannot run here: bubblewrap is missing or cannot create namespaces. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
  readonly code = 'sandbox-unavailable';
}

/** The account a sandboxed program runs as, when it is not the server's. */
export interface SandboxIdentity {
  readonly uid: number;
  readonly gid: number;
}

/** `name` as an executable file in one of the directories of `path`, or undefined. */
export async function findProgram(name: string, path = SANDBOX_PATH): Promise<string | undefined> {
  if (isAbsolute(name)) return (await isExecutable(name)) ? name : undefined;
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** bwrap's arguments that show the system, read-only, and nothing else of the host. */
async function systemArgs(): Promise<string[]> {
  const args = [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/usr',
    '/usr',
  ];
  for (const dir of SYSTEM_DIRS) {
    const info = await lstat(dir).catch(() => undefined);
    if (info?.isSymbolicLink()) args.push('--symlink', await readlink(dir), dir);
    else if (info?.isDirectory()) args.push('--ro-bind', dir, dir);
  }
  for (const file of ETC_FILES) args.push('--ro-bind-try', file, file);
  // the user's home comes after these, so that a home under /tmp is bound over the tmpfs
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  return args;
}

/** Runs `file args` to its end; resolves with its status (or the error) and its stderr. */
function run(
  file: string,
  args: readonly string[],
  identity?: SandboxIdentity,
): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: SANDBOX_PATH },
      ...identity,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: err.message });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const status = signal ? `killed by ${signal}` : `exit status ${code}`;
      resolve({ ok: code === 0, detail: stderr.trim().split('\n')[0] || status });
    });
  });
}

/** A directory bound into the sandbox: a descriptor of the program's, and where it appears. */
export interface BoundDirectory {
  readonly fd: number;
  readonly dest: string;
}

/** What of the user's home a program sees in the sandbox. */
export interface SandboxView {
  /** The directory bound read-write: the only user data there is. */
  readonly home: BoundDirectory;
  /** Directories inside it shown empty and read-only... */
  readonly hidden?: readonly string[];
  /** ...but for these directories inside them, bound back. */
  readonly shown?: readonly BoundDirectory[];
  /** Where the program starts. */
  readonly cwd: string;
}

/**
 * The kernel sandbox in which git and rsync run: bubblewrap, with new
 * namespaces of every kind (no network), the system read-only, a private
 * `/tmp`, no capabilities, no new privileges, and the user's home as the
 * only user data, read-write at its own host path.
 *
 * @example
 * const sandbox = await Sandbox.probe();
 * const view = { home: { fd: 3, dest: home }, cwd: home };
 * spawn(sandbox.bwrap, sandbox.wrap(view, '/usr/bin/rsync', ['--server', ...]), {
 *   stdio: ['pipe', 'pipe', 'pipe', homeDescriptor],
 * });
 */
export class Sandbox {
  /** The bubblewrap program, as an absolute path. */
  readonly bwrap: string;
  readonly #system: readonly string[];

  private constructor(bwrap: string, system: readonly string[]) {
    this.bwrap = bwrap;
    this.#system = Object.freeze([...system]);
  }

  /**
   * Finds bubblewrap and runs a trivial command in the sandbox.
   * @param bwrap the bubblewrap program: a path, or a name looked up in the
   *   server's PATH and then in {@link SANDBOX_PATH}
   * @throws {SandboxUnavailableError} when bubblewrap is missing or the sandbox cannot be made
   */
  static async probe(bwrap = 'bwrap'): Promise<Sandbox> {
    const search = [process.env.PATH, SANDBOX_PATH].filter(Boolean).join(delimiter);
    const program = await findProgram(bwrap, search);
    if (!program) throw new SandboxUnavailableError(`${bwrap} was not found`);
    const truePath = (await findProgram('true')) ?? '/usr/bin/true';
    const sandbox = new Sandbox(program, await systemArgs());
    const { ok, detail } = await run(program, [...sandbox.#system, '--', truePath]);
    if (!ok) {
      throw new SandboxUnavailableError(
        `bubblewrap (${program}) cannot create the sandbox: ${detail}`,
      );
    }
    return sandbox;
  }

  /**
   * Whether the sandbox can also be made by an account without privileges,
   * as it is for a user with a `uid` and `gid` when the server runs as
   * root; the reason when it cannot.
   */
  async probeUnprivileged(identity: SandboxIdentity): Promise<string | undefined> {
    const truePath = (await findProgram('true')) ?? '/usr/bin/true';
    const { ok, detail } = await run(this.bwrap, [...this.#system, '--', truePath], identity);
    return ok ? undefined : detail;
  }

  /**
   * bwrap's arguments that run `program args` in `view`. Directories of the
   * home are bound by descriptor, never by path: a path would be looked up
   * again when bwrap mounts it, after a user could have swapped a link in.
   */
  wrap(view: SandboxView, program: string, args: readonly string[]): string[] {
    const { home, hidden = [], shown = [] } = view;
    return [
      ...this.#system,
      ...['--bind-fd', String(home.fd), home.dest],
      // an empty directory over each hidden one, the shown ones bound back inside, then read-only
      ...hidden.flatMap((dir) => ['--tmpfs', dir]),
      ...shown.flatMap((dir) => ['--bind-fd', String(dir.fd), dir.dest]),
      ...hidden.flatMap((dir) => ['--remount-ro', dir]),
      ...['--chdir', view.cwd, '--', program, ...args],
    ];
  }
}

const probes = new Map<string, Promise<Sandbox>>();

/** The sandbox of this process, probed once for each bubblewrap program asked for. */
export function systemSandbox(bwrap = 'bwrap'): Promise<Sandbox> {
  let probe = probes.get(bwrap);
  if (!probe) {
    probe = Sandbox.probe(bwrap);
    // a failure is reported to each caller, not as an unhandled rejection
    probe.catch(() => undefined);
    probes.set(bwrap, probe);
  }
  return probe;
}
