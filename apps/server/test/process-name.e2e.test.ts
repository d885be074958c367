import { readFile } from 'node:fs/promises';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { killAllServers, startLoopbackServer } from './server-process.js';

afterAll(() => killAllServers());

describe.runIf(process.platform === 'linux')('the process name', () => {
  // journald records it as _COMM, which the reference's fail2ban jail matches (_COMM=sftpgo)
  it('is sftpgo in /proc/<pid>/comm, not node, and ps shows the command line of sftpgo', async () => {
    const tmp = await makeTempDir();
    try {
      const { server } = await startLoopbackServer(tmp.path);
      try {
        expect(await readFile(`/proc/${server.pid}/comm`, 'utf8')).toBe('sftpgo\n');
        const cmdline = await readFile(`/proc/${server.pid}/cmdline`, 'utf8');
        expect(cmdline.replace(/\0+$/, '')).toBe(`sftpgo serve --config-dir ${tmp.path}`);
      } finally {
        await server.stop();
      }
    } finally {
      await tmp.remove();
    }
  });
});
