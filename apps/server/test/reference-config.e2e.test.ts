import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killAllServers, runSftpgo, startServer } from './server-process.js';

const REFERENCE_096 = new URL(
  '../../../packages/config/test/fixtures/reference-0.9.6/sftpgo.json',
  import.meta.url,
);

/** The identification line the SSH server sends first. */
function sshIdentification(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk;
      const end = text.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(text.slice(0, end));
      }
    });
    socket.on('error', reject);
  });
}

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.remove());
afterAll(() => killAllServers());

describe("sftpgo serve with the reference server's configuration files", () => {
  it("starts with 0.9.6's shipped sftpgo.json, warning about each key it does not know", async () => {
    const config = JSON.parse(await readFile(REFERENCE_096, 'utf8'));
    config.sftpd.bind_port = 0;
    config.sftpd.bind_address = '127.0.0.1';
    config.httpd.bind_port = await freePort();
    const file = join(tmp.path, 'sftpgo.json');
    await writeFile(file, JSON.stringify(config, null, 2));
    const server = await startServer(tmp.path);
    try {
      const warnings = server.logs
        .filter((l) => l.level === 'warn' && l.sender === 'config')
        .map((l) => l.message);
      expect(warnings).toEqual([`${file}: unknown key "data_provider.pre_login_program" ignored`]);
      const res = await fetch(`http://127.0.0.1:${config.httpd.bind_port}/api/v1/version`);
      expect(res.status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('starts with YAML in the reference dialect: any key case, yes, a bare octal umask, a blank banner', async () => {
    const httpPort = await freePort();
    await writeFile(
      join(tmp.path, 'sftpgo.yaml'),
      [
        'SFTPD:',
        '  Bind_Port: 0',
        '  bind_address: 127.0.0.1',
        '  enable_scp: yes',
        '  umask: 0027',
        '  idle_timeout: "5"',
        '  banner: "   "',
        'httpd:',
        `  bind_port: "${httpPort}"`,
        '  bind_address: 127.0.0.1',
        '',
      ].join('\n'),
    );
    const server = await startServer(tmp.path);
    try {
      expect(await sshIdentification(server.sshPort)).toMatch(/^SSH-2\.0-SFTPGo_\d+\.\d+\.\d+/);
      expect(server.logs.filter((l) => l.level === 'warn' && l.sender === 'config')).toEqual([]);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('goes on to $HOME/.config/sftpgo when the config dir holds no file', async () => {
    const home = join(tmp.path, 'home');
    const configDir = join(tmp.path, 'config');
    const file = join(home, '.config', 'sftpgo', 'sftpgo.json');
    await mkdir(join(home, '.config', 'sftpgo'), { recursive: true });
    await mkdir(configDir);
    // a bad value makes the server stop at once, naming the file it read
    await writeFile(file, '{"sftpd": {"umask": "0999"}}');
    const { code, stderr } = await runSftpgo(['serve', '-c', configDir], { HOME: home });
    expect(code).toBe(1);
    expect(stderr).toContain(`sftpgo: ${file}: "sftpd.umask": must be an octal mode`);
  });

  it('ignores an SFTPGO_ variable of a later release, with a warning', async () => {
    const { code, stdout, stderr } = await runSftpgo(['initprovider', '-c', tmp.path], {
      SFTPGO_DATA_PROVIDER__DRIVER: 'memory',
      SFTPGO_DATA_PROVIDER__PRE_LOGIN_PROGRAM: '/usr/local/bin/pre-login',
    });
    expect(code).toBe(0);
    expect(stdout).toBe('the memory data provider needs no initialization\n');
    const warnings = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
      .filter((l) => l.level === 'warn' && l.sender === 'config');
    expect(warnings.map((l) => l.message)).toEqual([
      'SFTPGO_DATA_PROVIDER__PRE_LOGIN_PROGRAM: "data_provider.pre_login_program" is not a configuration key, ignored',
    ]);
  });
});
