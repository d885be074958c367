import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import {
  type ExecResult,
  logFlags,
  NOT_WINDOWS_MESSAGE,
  quoteWindowsArg,
  registerServiceCommand,
  SERVICE_ACTIONS,
  type ServiceContext,
  type ServiceDeps,
  serviceBinaryPath,
  serviceSteps,
} from '../src/service-command.js';
import { SERVICE_HOST_SOURCE } from '../src/windows-service-host.js';

const SC = 'C:\\Windows\\System32\\sc.exe';
const CSC = 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe';
const NODE = 'C:\\Program Files\\nodejs\\node.exe';
const SCRIPT = 'C:\\Users\\Ann Lee\\AppData\\Roaming\\npm\\node_modules\\sftpgo\\bundle\\cli.js';

const ctx: ServiceContext = {
  systemRoot: 'C:\\Windows',
  cscPath: CSC,
  nodePath: NODE,
  nodeFlags: ['--v8-pool-size=1'],
  scriptPath: SCRIPT,
  configDir: 'C:\\ProgramData\\SFTPGo',
  configFile: 'sftpgo',
  logFlags: [],
};

/** A machine that records what the command does instead of doing it. */
function fakeMachine(platform: NodeJS.Platform, answer?: (args: readonly string[]) => ExecResult) {
  const calls: { file: string; args: readonly string[] }[] = [];
  const written: string[] = [];
  let out = '';
  let err = '';
  const exits: number[] = [];
  const deps: ServiceDeps = {
    platform,
    env: { SystemRoot: 'C:\\Windows' },
    cwd: 'C:\\Users\\Ann Lee',
    nodePath: NODE,
    scriptPath: SCRIPT,
    nodeFlags: ['--v8-pool-size=1'],
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    exit: (code) => {
      exits.push(code);
    },
    exec: async (file, args) => {
      calls.push({ file, args });
      return answer?.(args) ?? { code: 0, stdout: '', stderr: '' };
    },
    writeFile: async (path) => {
      written.push(path);
    },
    exists: (path) => path === CSC,
    sleep: async () => {},
  };
  const run = async (...args: string[]) => {
    await registerServiceCommand(yargs().exitProcess(false).strict(), deps).parseAsync(args);
  };
  return {
    run,
    calls,
    written,
    exits,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}

describe('sftpgo service on a platform other than Windows', () => {
  for (const platform of ['linux', 'darwin'] as const) {
    it(`explains itself and exits with status 2 on ${platform}, running nothing`, async () => {
      for (const action of SERVICE_ACTIONS) {
        const machine = fakeMachine(platform);
        await machine.run('service', action);
        expect(machine.exits).toEqual([2]);
        expect(machine.err).toBe(NOT_WINDOWS_MESSAGE);
        expect(machine.calls).toEqual([]);
        expect(machine.written).toEqual([]);
      }
    });
  }

  it('names systemd, launchd and the page on running as a service', () => {
    expect(NOT_WINDOWS_MESSAGE).toContain('systemd');
    expect(NOT_WINDOWS_MESSAGE).toContain('launchd');
    expect(NOT_WINDOWS_MESSAGE).toContain('docs/running-as-a-service.md');
  });
});

describe('Windows command-line quoting', () => {
  it('quotes as the C runtime splits', () => {
    expect(quoteWindowsArg('serve')).toBe('serve');
    expect(quoteWindowsArg('C:\\Program Files\\x')).toBe('"C:\\Program Files\\x"');
    expect(quoteWindowsArg('')).toBe('""');
    expect(quoteWindowsArg('a"b')).toBe('"a\\"b"');
    expect(quoteWindowsArg('a\\"b')).toBe('"a\\\\\\"b"');
    expect(quoteWindowsArg('C:\\a b\\')).toBe('"C:\\a b\\\\"');
    expect(quoteWindowsArg('C:\\a\\b')).toBe('C:\\a\\b');
  });
});

describe('the sc.exe command lines', () => {
  it('install compiles the host and creates an automatic service running sftpgo serve', () => {
    const binPath =
      '"C:\\ProgramData\\SFTPGo\\sftpgo-service.exe" "C:\\Program Files\\nodejs\\node.exe" ' +
      '--v8-pool-size=1 "C:\\Users\\Ann Lee\\AppData\\Roaming\\npm\\node_modules\\sftpgo\\bundle\\cli.js" ' +
      'serve --config-dir C:\\ProgramData\\SFTPGo --config-file sftpgo --log-file-path "" --log-verbose=false';
    const withLogs = { ...ctx, logFlags: ['--log-file-path', '', '--log-verbose=false'] };
    expect(serviceBinaryPath(withLogs)).toBe(binPath);
    expect(serviceSteps('install', withLogs)).toEqual([
      {
        kind: 'write',
        path: 'C:\\ProgramData\\SFTPGo\\sftpgo-service.cs',
        contents: SERVICE_HOST_SOURCE,
      },
      {
        kind: 'run',
        file: CSC,
        args: [
          '/nologo',
          '/target:exe',
          '/out:C:\\ProgramData\\SFTPGo\\sftpgo-service.exe',
          '/reference:System.ServiceProcess.dll',
          'C:\\ProgramData\\SFTPGo\\sftpgo-service.cs',
        ],
      },
      {
        kind: 'run',
        file: SC,
        args: ['create', 'SFTPGo', 'binPath=', binPath, 'start=', 'auto', 'DisplayName=', 'SFTPGo'],
      },
      {
        kind: 'run',
        file: SC,
        args: ['description', 'SFTPGo', 'Full featured and highly configurable SFTP server'],
      },
      {
        kind: 'run',
        file: SC,
        args: [
          'failure',
          'SFTPGo',
          'reset=',
          '86400',
          'actions=',
          'restart/5000/restart/5000/restart/60000',
        ],
      },
    ]);
  });

  it('uninstall stops the service if it runs, waits, then deletes it', () => {
    expect(serviceSteps('uninstall', ctx)).toEqual([
      { kind: 'run', file: SC, args: ['stop', 'SFTPGo'], mayFail: true },
      { kind: 'wait-stopped', file: SC, timeoutMs: 60_000 },
      { kind: 'run', file: SC, args: ['delete', 'SFTPGo'] },
    ]);
  });

  it('start, stop and status are one sc.exe call each', () => {
    expect(serviceSteps('start', ctx)).toEqual([
      { kind: 'run', file: SC, args: ['start', 'SFTPGo'] },
    ]);
    expect(serviceSteps('stop', ctx)).toEqual([
      { kind: 'run', file: SC, args: ['stop', 'SFTPGo'] },
    ]);
    expect(serviceSteps('status', ctx)).toEqual([
      { kind: 'run', file: SC, args: ['query', 'SFTPGo'] },
    ]);
  });

  it('reload restarts: stop, wait until stopped, start', () => {
    expect(serviceSteps('reload', ctx)).toEqual([
      { kind: 'run', file: SC, args: ['stop', 'SFTPGo'] },
      { kind: 'wait-stopped', file: SC, timeoutMs: 60_000 },
      { kind: 'run', file: SC, args: ['start', 'SFTPGo'] },
    ]);
  });

  it('passes only the log flags given, in the form serve takes', () => {
    expect(logFlags({})).toEqual([]);
    expect(
      logFlags({
        'log-file-path': 'C:\\logs\\sftpgo.log',
        'log-max-size': 20,
        'log-compress': true,
      }),
    ).toEqual([
      '--log-file-path',
      'C:\\logs\\sftpgo.log',
      '--log-max-size',
      '20',
      '--log-compress=true',
    ]);
  });
});

describe('sftpgo service on Windows, with sc.exe stood in for', () => {
  it('install writes and compiles the host, then registers the service with the options given', async () => {
    const machine = fakeMachine('win32');
    await machine.run(
      'service',
      'install',
      '--config-dir',
      'data',
      '--log-file-path',
      'sftpgo.log',
      '--log-max-age',
      '7',
    );
    expect(machine.exits).toEqual([]);
    expect(machine.written).toEqual(['C:\\Users\\Ann Lee\\data\\sftpgo-service.cs']);
    expect(machine.calls.map((c) => [c.file, c.args[0]])).toEqual([
      [CSC, '/nologo'],
      [SC, 'create'],
      [SC, 'description'],
      [SC, 'failure'],
    ]);
    expect(machine.calls[1]?.args[3]).toBe(
      '"C:\\Users\\Ann Lee\\data\\sftpgo-service.exe" "C:\\Program Files\\nodejs\\node.exe" ' +
        `--v8-pool-size=1 ${quoteWindowsArg(SCRIPT)} serve --config-dir "C:\\Users\\Ann Lee\\data" --config-file sftpgo ` +
        '--log-file-path sftpgo.log --log-max-age 7',
    );
    expect(machine.out).toContain('netsh advfirewall firewall add rule name="SFTPGo Service"');
  });

  it('reports a failing sc.exe and exits with status 1', async () => {
    const machine = fakeMachine('win32', () => ({
      code: 1060,
      stdout:
        '[SC] OpenService FAILED 1060:\n\nThe specified service does not exist as an installed service.',
      stderr: '',
    }));
    await machine.run('service', 'start');
    expect(machine.calls).toEqual([{ file: SC, args: ['start', 'SFTPGo'] }]);
    expect(machine.out).toContain('FAILED 1060');
    expect(machine.err).toContain('sc.exe start failed with 1060');
    expect(machine.exits).toEqual([1]);
  });

  it('reload waits for STOPPED before starting again', async () => {
    let queries = 0;
    const machine = fakeMachine('win32', (args) => {
      if (args[0] !== 'query') return { code: 0, stdout: '', stderr: '' };
      queries++;
      const state = queries < 3 ? '3  STOP_PENDING' : '1  STOPPED';
      return {
        code: 0,
        stdout: `SERVICE_NAME: SFTPGo\n        STATE              : ${state}\n`,
        stderr: '',
      };
    });
    await machine.run('service', 'reload');
    expect(machine.calls.map((c) => c.args[0])).toEqual([
      'stop',
      'query',
      'query',
      'query',
      'start',
    ]);
    expect(machine.exits).toEqual([]);
  });
});
