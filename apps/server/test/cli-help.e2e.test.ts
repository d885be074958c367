import { describe, expect, it } from 'vitest';
import { runSftpgo } from './server-process.js';

describe('sftpgo help', () => {
  it('is what sftpgo alone prints, with status 0', async () => {
    const bare = await runSftpgo([]);
    expect(bare.code).toBe(0);
    expect(bare.stderr).toBe('');
    expect(bare.stdout).toContain('Available Commands:');
    expect(bare.stdout).toMatch(/sftpgo serve +Start the SFTP Server/);
    expect((await runSftpgo(['help'])).stdout).toBe(bare.stdout);
  });

  it('of a command prints the help of that command', async () => {
    const help = await runSftpgo(['help', 'serve']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Start the SFTP Server');
    expect(help.stdout).toContain('--log-file-path');
    expect(help.stdout).toBe((await runSftpgo(['serve', '--help'])).stdout);
  });

  it('of a sub-command prints the help of that sub-command', async () => {
    const help = await runSftpgo(['help', 'api', 'users']);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe((await runSftpgo(['api', 'users', '--help'])).stdout);
  });
});

describe('SFTPGO_LOG_VERBOSE and SFTPGO_LOG_COMPRESS', () => {
  it('take t and f, as the reference reads booleans', async () => {
    for (const [variable, value] of [
      ['SFTPGO_LOG_VERBOSE', 'f'],
      ['SFTPGO_LOG_COMPRESS', 'T'],
    ] as const) {
      // a bad umask stops the start after the flags are read
      const { code, stderr } = await runSftpgo(['serve', '-c', 'no-such-dir'], {
        [variable]: value,
        SFTPGO_SFTPD__UMASK: '9',
      });
      expect(code, variable).toBe(1);
      expect(stderr, variable).toContain('SFTPGO_SFTPD__UMASK: "sftpd.umask": must be an octal');
    }
  });

  it('refuse another word, naming the values they take', async () => {
    const { code, stderr } = await runSftpgo(['serve'], { SFTPGO_LOG_VERBOSE: 'yes' });
    expect(code).toBe(1);
    expect(stderr).toContain(
      'sftpgo: --log-verbose (SFTPGO_LOG_VERBOSE): expected 1, t, true, 0, f or false, got "yes"',
    );
  });
});
