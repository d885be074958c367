// `sftpgo service install|uninstall|start|stop|reload|status`: SFTPGo as a
// Windows service, through the service control manager's own client, sc.exe.
// Elsewhere the command explains that systemd or launchd does this job, and
// exits with status 2. See docs/running-as-a-service.md.
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { win32 } from 'node:path';
import type { Argv } from 'yargs';
import { scriptNodeFlags } from './script-node-flags.js';
import { SERVICE_HOST_SOURCE } from './windows-service-host.js';

export const SERVICE_NAME = 'SFTPGo';
export const SERVICE_ACTIONS = [
  'install',
  'uninstall',
  'start',
  'stop',
  'reload',
  'status',
] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

const DESCRIPTIONS: Record<ServiceAction, string> = {
  install: 'Install SFTPGo as Windows Service',
  uninstall: 'Uninstall SFTPGo Windows Service',
  start: 'Start SFTPGo Windows Service',
  stop: 'Stop SFTPGo Windows Service',
  reload:
    'Reload the SFTPGo Windows Service: it is restarted (stopped, letting transfers finish, then started)',
  status: 'Retrieve the status for the SFTPGo Windows Service',
};

/** How long `reload` waits for the service to stop: the 30 s transfer grace, and some. */
const STOP_TIMEOUT_MS = 60_000;

export const NOT_WINDOWS_MESSAGE = `sftpgo service: the Windows service manager exists only on Windows.
On Linux run sftpgo under systemd, on macOS under launchd; docs/running-as-a-service.md
in the sftpgo-node sources explains both, with a unit file and a plist in docs/service/.
`;

/** One thing that an action does, in order. */
export type ServiceStep =
  | { readonly kind: 'write'; readonly path: string; readonly contents: string }
  | {
      readonly kind: 'run';
      readonly file: string;
      readonly args: readonly string[];
      /** Go on if it fails (stopping a service that is not running). */
      readonly mayFail?: boolean;
    }
  /** Until `sc.exe query` (the `file`) says STOPPED, or that there is no such service. */
  | { readonly kind: 'wait-stopped'; readonly file: string; readonly timeoutMs: number };

/** Where things are on the Windows machine, and what `install` was given. */
export interface ServiceContext {
  /** %SystemRoot%, as C:\Windows. */
  readonly systemRoot: string;
  /** The .NET Framework 4 C# compiler, for `install`. */
  readonly cscPath?: string;
  /** node.exe. */
  readonly nodePath: string;
  /** The flags the script's first line gives node, given to node.exe before it. */
  readonly nodeFlags: readonly string[];
  /** The `sftpgo` script that node runs (bundle\cli.js of the installed package). */
  readonly scriptPath: string;
  /** Absolute. */
  readonly configDir: string;
  readonly configFile: string;
  /** The log flags given to `install`, passed to `serve` as they are. */
  readonly logFlags: readonly string[];
}

/**
 * One argument quoted for a Windows command line, as the C runtime (and so
 * node.exe) splits it: untouched unless empty or holding a space, a tab or
 * a quote; else in quotes, with quotes and the backslashes before them
 * escaped.
 */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let quoted = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
      continue;
    }
    quoted += '\\'.repeat(ch === '"' ? backslashes * 2 + 1 : backslashes) + ch;
    backslashes = 0;
  }
  return `${quoted}${'\\'.repeat(backslashes * 2)}"`;
}

/** The service host, compiled into the config dir. */
export function serviceHostPath(ctx: Pick<ServiceContext, 'configDir'>): string {
  return win32.join(ctx.configDir, 'sftpgo-service.exe');
}

/**
 * The service's binary path: the host, then node (with the flags of the
 * script's first line) running `sftpgo serve` with the flags. The two
 * programs are always quoted, as the host expects.
 */
export function serviceBinaryPath(ctx: ServiceContext): string {
  const programs = [serviceHostPath(ctx), ctx.nodePath].map((path) => `"${path}"`);
  const args = [
    ...ctx.nodeFlags,
    ctx.scriptPath,
    'serve',
    '--config-dir',
    ctx.configDir,
    '--config-file',
    ctx.configFile,
    ...ctx.logFlags,
  ].map(quoteWindowsArg);
  return [...programs, ...args].join(' ');
}

/** What `sftpgo service <action>` does on Windows: pure, so that it can be tested anywhere. */
export function serviceSteps(action: ServiceAction, ctx: ServiceContext): ServiceStep[] {
  const sc = win32.join(ctx.systemRoot, 'System32', 'sc.exe');
  const run = (...args: string[]): ServiceStep => ({ kind: 'run', file: sc, args });
  switch (action) {
    case 'install': {
      const host = serviceHostPath(ctx);
      const source = win32.join(ctx.configDir, 'sftpgo-service.cs');
      return [
        { kind: 'write', path: source, contents: SERVICE_HOST_SOURCE },
        {
          kind: 'run',
          file: ctx.cscPath ?? 'csc.exe',
          args: [
            '/nologo',
            '/target:exe',
            `/out:${host}`,
            '/reference:System.ServiceProcess.dll',
            source,
          ],
        },
        run(
          'create',
          SERVICE_NAME,
          'binPath=',
          serviceBinaryPath(ctx),
          'start=',
          'auto',
          'DisplayName=',
          'SFTPGo',
        ),
        run('description', SERVICE_NAME, 'Full featured and highly configurable SFTP server'),
        // Restarted when it fails, as systemd's Restart=on-failure.
        run(
          'failure',
          SERVICE_NAME,
          'reset=',
          '86400',
          'actions=',
          'restart/5000/restart/5000/restart/60000',
        ),
      ];
    }
    case 'uninstall':
      return [
        { kind: 'run', file: sc, args: ['stop', SERVICE_NAME], mayFail: true },
        { kind: 'wait-stopped', file: sc, timeoutMs: STOP_TIMEOUT_MS },
        run('delete', SERVICE_NAME),
      ];
    case 'start':
      return [run('start', SERVICE_NAME)];
    case 'stop':
      return [run('stop', SERVICE_NAME)];
    case 'reload':
      // Node.js on Windows has no SIGHUP, and the host forwards only Ctrl+C:
      // a reload is a restart.
      return [
        run('stop', SERVICE_NAME),
        { kind: 'wait-stopped', file: sc, timeoutMs: STOP_TIMEOUT_MS },
        run('start', SERVICE_NAME),
      ];
    case 'status':
      return [run('query', SERVICE_NAME)];
  }
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What the command touches, so that tests can stand in for Windows. */
export interface ServiceDeps {
  readonly platform: NodeJS.Platform;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly nodePath: string;
  /** The running `sftpgo` script. */
  readonly scriptPath: string;
  /** The flags its first line gives node. */
  readonly nodeFlags: readonly string[];
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly exit: (code: number) => void;
  readonly exec: (file: string, args: readonly string[]) => Promise<ExecResult>;
  readonly writeFile: (path: string, contents: string) => Promise<void>;
  readonly exists: (path: string) => boolean;
  readonly sleep: (ms: number) => Promise<void>;
}

function execWindows(file: string, args: readonly string[]): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(file, args, { windowsHide: true, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr: stderr || (error && !stdout ? error.message : '') });
    });
  });
}

function defaultDeps(): ServiceDeps {
  const script = process.argv[1] ?? '';
  return {
    platform: process.platform,
    env: process.env,
    cwd: process.cwd(),
    nodePath: process.execPath,
    scriptPath: existsSync(script) ? realpathSync(script) : script,
    nodeFlags: scriptNodeFlags(script),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    exit: (code) => process.exit(code),
    exec: execWindows,
    writeFile: (path, contents) => writeFile(path, contents),
    exists: existsSync,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/** The C# compiler of the .NET Framework 4, 64-bit first. */
function findCsc(systemRoot: string, exists: (path: string) => boolean): string | undefined {
  return ['Framework64', 'Framework']
    .map((dir) => win32.join(systemRoot, 'Microsoft.NET', dir, 'v4.0.30319', 'csc.exe'))
    .find((path) => exists(path));
}

async function runSteps(steps: readonly ServiceStep[], deps: ServiceDeps): Promise<boolean> {
  for (const step of steps) {
    if (step.kind === 'write') {
      await deps.writeFile(step.path, step.contents);
      continue;
    }
    if (step.kind === 'wait-stopped') {
      let stopped = false;
      for (let waited = 0; waited < step.timeoutMs && !stopped; waited += 1000) {
        const query = await deps.exec(step.file, ['query', SERVICE_NAME]);
        stopped = query.code !== 0 || /STATE\s*:\s*1\s+STOPPED/.test(query.stdout);
        if (!stopped) await deps.sleep(1000);
      }
      if (!stopped) {
        deps.err(`sftpgo service: ${SERVICE_NAME} did not stop in ${step.timeoutMs / 1000} s\n`);
        return false;
      }
      continue;
    }
    const result = await deps.exec(step.file, step.args);
    if (result.stdout.trim()) deps.out(`${result.stdout.trim()}\n`);
    if (result.code !== 0 && !step.mayFail) {
      if (result.stderr.trim()) deps.err(`${result.stderr.trim()}\n`);
      const hint = result.code === 5 ? ' (access denied: run it as Administrator)' : '';
      deps.err(
        `sftpgo service: ${win32.basename(step.file)} ${step.args[0]} failed with ${result.code}${hint}\n`,
      );
      return false;
    }
  }
  return true;
}

interface InstallArgs {
  'config-dir': string;
  'config-file': string;
  'log-file-path'?: string;
  'log-max-size'?: number;
  'log-max-backups'?: number;
  'log-max-age'?: number;
  'log-compress'?: boolean;
  'log-verbose'?: boolean;
}

const LOG_OPTIONS = [
  'log-file-path',
  'log-max-size',
  'log-max-backups',
  'log-max-age',
  'log-compress',
  'log-verbose',
] as const;

/** The log flags given to `install`, as `serve` takes them; those not given are left out. */
export function logFlags(argv: Partial<InstallArgs>): string[] {
  return LOG_OPTIONS.flatMap((name) => {
    const value = argv[name];
    if (value === undefined) return [];
    return typeof value === 'boolean' ? [`--${name}=${value}`] : [`--${name}`, String(value)];
  });
}

function installOptions<T>(y: Argv<T>, deps: ServiceDeps) {
  return y
    .option('config-dir', {
      alias: 'c',
      type: 'string',
      default: deps.env.SFTPGO_CONFIG_DIR || '.',
      describe: 'Location of the config dir, made absolute for the service (SFTPGO_CONFIG_DIR)',
    })
    .option('config-file', {
      alias: 'f',
      type: 'string',
      default: deps.env.SFTPGO_CONFIG_FILE || 'sftpgo',
      describe: 'Name of the configuration file, without extension (SFTPGO_CONFIG_FILE)',
    })
    .option('log-file-path', {
      alias: 'l',
      type: 'string',
      describe: 'Passed to the service\'s "sftpgo serve": location of the log file',
    })
    .option('log-max-size', {
      alias: 's',
      type: 'number',
      describe: 'Passed to "sftpgo serve": megabytes before the log file is rotated',
    })
    .option('log-max-backups', {
      alias: 'b',
      type: 'number',
      describe: 'Passed to "sftpgo serve": rotated log files kept',
    })
    .option('log-max-age', {
      alias: 'a',
      type: 'number',
      describe: 'Passed to "sftpgo serve": days rotated log files are kept',
    })
    .option('log-compress', {
      alias: 'z',
      type: 'boolean',
      describe: 'Passed to "sftpgo serve": gzip the rotated log files',
    })
    .option('log-verbose', {
      alias: 'v',
      type: 'boolean',
      describe: 'Passed to "sftpgo serve": verbose logs',
    });
}

async function handle(
  action: ServiceAction,
  argv: Partial<InstallArgs>,
  deps: ServiceDeps,
): Promise<void> {
  if (deps.platform !== 'win32') {
    deps.err(NOT_WINDOWS_MESSAGE);
    deps.exit(2);
    return;
  }
  const systemRoot = deps.env.SystemRoot || deps.env.windir || 'C:\\Windows';
  const ctx: ServiceContext = {
    systemRoot,
    cscPath: action === 'install' ? findCsc(systemRoot, deps.exists) : undefined,
    nodePath: deps.nodePath,
    nodeFlags: deps.nodeFlags,
    scriptPath: deps.scriptPath,
    configDir: win32.resolve(deps.cwd, argv['config-dir'] ?? '.'),
    configFile: argv['config-file'] ?? 'sftpgo',
    logFlags: logFlags(argv),
  };
  if (action === 'install') {
    if (!ctx.cscPath) {
      deps.err(
        'sftpgo service: the C# compiler of the .NET Framework 4 (csc.exe) was not found under ' +
          `${win32.join(systemRoot, 'Microsoft.NET')}: it builds the service host\n`,
      );
      deps.exit(1);
      return;
    }
    if (!/\.[cm]?js$/.test(ctx.scriptPath)) {
      deps.err(
        `sftpgo service: install runs the built sftpgo, not ${ctx.scriptPath}: install the package\n`,
      );
      deps.exit(1);
      return;
    }
  }
  if (!(await runSteps(serviceSteps(action, ctx), deps))) {
    deps.exit(1);
    return;
  }
  if (action === 'install') {
    deps.out(
      `${SERVICE_NAME} installed; start it with "sftpgo service start". Allow its network access with:\n` +
        `netsh advfirewall firewall add rule name="SFTPGo Service" dir=in action=allow program=${quoteWindowsArg(ctx.nodePath)}\n`,
    );
  }
}

/**
 * Adds `sftpgo service <install|uninstall|start|stop|reload|status>` to a
 * yargs instance. `deps` stands in for the machine in tests.
 */
export function registerServiceCommand<T>(y: Argv<T>, deps: Partial<ServiceDeps> = {}): Argv<T> {
  const all: ServiceDeps = { ...defaultDeps(), ...deps };
  return y.command(
    'service',
    'Install, Uninstall, Start, Stop, Reload and retrieve status for SFTPGo Windows Service (Windows only)',
    (sy) => {
      for (const action of SERVICE_ACTIONS) {
        sy.command(
          action,
          DESCRIPTIONS[action],
          (ay) => (action === 'install' ? installOptions(ay, all) : ay),
          (argv) => handle(action, argv as Partial<InstallArgs>, all),
        );
      }
      return sy.demandCommand(1, 'Specify a service command.');
    },
  );
}
