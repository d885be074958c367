import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/index.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let configDir: string;
let home: string;
beforeEach(async () => {
  tmp = await makeTempDir();
  configDir = join(tmp.path, 'config');
  home = join(tmp.path, 'home');
  await mkdir(configDir);
  await mkdir(join(home, '.config', 'sftpgo'), { recursive: true });
});
afterEach(() => tmp.remove());

const port = (bindPort: number) => JSON.stringify({ sftpd: { bind_port: bindPort } });

describe.runIf(process.platform === 'linux')('the directories searched for the file', () => {
  it('are the config dir first, then $HOME/.config/sftpgo', async () => {
    const homeFile = join(home, '.config', 'sftpgo', 'sftpgo.json');
    await writeFile(homeFile, port(2201));
    const fromHome = await loadConfig(configDir, 'sftpgo', { HOME: home });
    expect(fromHome.file).toBe(homeFile);
    expect(fromHome.config.sftpd.bind_port).toBe(2201);

    await writeFile(join(configDir, 'sftpgo.yaml'), 'sftpd:\n  bind_port: 2202\n');
    const fromConfigDir = await loadConfig(configDir, 'sftpgo', { HOME: home });
    expect(fromConfigDir.file).toBe(join(configDir, 'sftpgo.yaml'));
    expect(fromConfigDir.config.sftpd.bind_port).toBe(2202);
    // the other directories' files are not "ignored files" of the one read
    expect(fromConfigDir.ignoredFiles).toEqual([]);
  });

  it('end with the working directory', async () => {
    const cwd = process.cwd();
    await writeFile(join(tmp.path, 'sftpgo.json'), port(2203));
    process.chdir(tmp.path);
    try {
      const { file, config } = await loadConfig(configDir, 'sftpgo', {});
      expect(file).toBe(join(tmp.path, 'sftpgo.json'));
      expect(config.sftpd.bind_port).toBe(2203);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('the extensions searched', () => {
  it('put TOML before YAML, as the reference does', async () => {
    await writeFile(join(configDir, 'sftpgo.yaml'), 'sftpd:\n  bind_port: 2201\n');
    await writeFile(join(configDir, 'sftpgo.toml'), '[sftpd]\nbind_port = 2202\n');
    const { file, config, ignoredFiles } = await loadConfig(configDir, 'sftpgo', {});
    expect(file).toBe(join(configDir, 'sftpgo.toml'));
    expect(config.sftpd.bind_port).toBe(2202);
    expect(ignoredFiles).toEqual([join(configDir, 'sftpgo.yaml')]);
  });

  it.each([
    ['props', 'sftpd.bind_port=2204\n'],
    ['prop', 'sftpd.bind_port: 2204\n'],
    ['dotenv', 'SFTPD__BIND_PORT=2204\n'],
  ])('read .%s', async (extension, text) => {
    await writeFile(join(configDir, `sftpgo.${extension}`), text);
    expect((await loadConfig(configDir, 'sftpgo', {})).config.sftpd.bind_port).toBe(2204);
  });

  it('end with .ini, read as the reference reads it: [sftpd] bind_port = 2204', async () => {
    await writeFile(join(configDir, 'sftpgo.ini'), '[sftpd]\nbind_port = 2204\n');
    expect((await loadConfig(configDir, 'sftpgo', {})).config.sftpd.bind_port).toBe(2204);
  });
});
