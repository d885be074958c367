import { hasCommand } from '@sftpgo/test-utils';
import { describe, expect, it } from 'vitest';
import { Sandbox, SandboxUnavailableError } from '../src/ssh-commands/sandbox.js';
import { checkSystemCommandSandbox } from '../src/ssh-commands/sandbox-check.js';

const DEFAULT_COMMANDS = ['md5sum', 'sha1sum', 'cd', 'pwd'];
// a bubblewrap that is not there: the one fault of the sandbox a test cannot make a real one have
const MISSING = '/nonexistent/bwrap';

describe('the start-up check of the system commands', () => {
  it('needs no sandbox for the commands the server runs itself', async () => {
    await expect(checkSystemCommandSandbox(DEFAULT_COMMANDS, { bwrap: MISSING })).resolves.toEqual(
      [],
    );
    await expect(
      checkSystemCommandSandbox([...DEFAULT_COMMANDS, 'scp', 'sha256sum'], { bwrap: MISSING }),
    ).resolves.toEqual([]);
  });

  it('refuses git and rsync when bubblewrap is missing, saying how to fix it', async () => {
    const failure = checkSystemCommandSandbox(['md5sum', 'rsync', 'git-upload-pack'], {
      bwrap: MISSING,
    });
    await expect(failure).rejects.toThrow(SandboxUnavailableError);
    await expect(failure).rejects.toThrow(
      /enabled_ssh_commands enables git-upload-pack, rsync, which run only in a bubblewrap sandbox/,
    );
    await expect(failure).rejects.toThrow(/\/nonexistent\/bwrap was not found/);
    await expect(failure).rejects.toThrow(/Install bubblewrap .* or remove these commands/);
  });

  it('refuses "*", which enables git and rsync too', async () => {
    await expect(checkSystemCommandSandbox(['*'], { bwrap: MISSING })).rejects.toThrow(
      /enables git-receive-pack, git-upload-pack, git-upload-archive, rsync \(through "\*"\)/,
    );
  });

  it('refuses them when bubblewrap cannot create the sandbox', async () => {
    // a program that fails as bwrap fails where namespaces are not allowed
    await expect(Sandbox.probe('false')).rejects.toThrow(
      /cannot create the sandbox: exit status 1/,
    );
  });

  it.runIf(hasCommand('bwrap'))('accepts them where the sandbox works', async () => {
    await expect(checkSystemCommandSandbox(['*'])).resolves.toBeInstanceOf(Array);
  });
});

describe.runIf(hasCommand('bwrap'))('the sandbox', () => {
  it('shows the system read-only, a few files of /etc, and the home alone read-write', async () => {
    const sandbox = await Sandbox.probe();
    const view = {
      home: { fd: 3, dest: '/srv/alice' },
      hidden: ['/srv/alice/locked'],
      shown: [{ fd: 4, dest: '/srv/alice/locked/open' }],
      cwd: '/srv/alice/r.git',
    };
    const args = sandbox.wrap(view, '/usr/bin/git', ['x']);
    const joined = args.join(' ');
    for (const option of [
      '--unshare-all',
      '--die-with-parent',
      '--new-session',
      '--cap-drop ALL',
      '--ro-bind /usr /usr',
      '--proc /proc',
      '--dev /dev',
      '--tmpfs /tmp',
    ]) {
      expect(joined).toContain(option);
    }
    expect(joined).toMatch(
      // the home's directories by descriptor, the locked one covered before it is made read-only
      /--tmpfs \/tmp .*--bind-fd 3 \/srv\/alice --tmpfs \/srv\/alice\/locked --bind-fd 4 \/srv\/alice\/locked\/open --remount-ro \/srv\/alice\/locked --chdir \/srv\/alice\/r\.git -- \/usr\/bin\/git x$/,
    );
    const binds = args.flatMap((a, i) => (/^--(ro-)?bind(-try)?$/.test(a) ? [args[i + 1]] : []));
    expect(binds.filter((b) => b?.startsWith('/etc'))).toEqual([
      '/etc/passwd',
      '/etc/group',
      '/etc/nsswitch.conf',
      '/etc/localtime',
      '/etc/ld.so.cache',
    ]);
    // nothing of the home by path
    expect(binds.filter((b) => b?.startsWith('/srv'))).toEqual([]);
  });
});
