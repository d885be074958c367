import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../src/index.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.remove());

const DEFAULTS = parseConfig({}, 'the defaults');

async function load(name: string, text: string) {
  await writeFile(join(tmp.path, name), text);
  return (await loadConfig(tmp.path, 'sftpgo', {})).config;
}

describe('values of another type than their key, converted as the reference converts them', () => {
  it('reads numbers and booleans written as text, and numbers where text is expected, in JSON', async () => {
    const config = await load(
      'sftpgo.json',
      JSON.stringify({
        sftpd: { bind_port: '2200', enable_scp: 'T', umask: 22, setstat_mode: '1' },
        data_provider: { port: ' 5433 ', password: 1234 },
        httpd: { bind_port: '0' },
      }),
    );
    expect(config.sftpd).toMatchObject({
      bind_port: 2200,
      enable_scp: true,
      umask: '22',
      setstat_mode: 1,
    });
    expect(config.data_provider).toMatchObject({ port: 5433, password: '1234' });
    expect(config.httpd.bind_port).toBe(0);
  });

  it('reads numbers for booleans and booleans for numbers', async () => {
    const config = await load(
      'sftpgo.toml',
      '[sftpd]\nenable_scp = 1\nupload_mode = true\n[sftpd.defender]\nenabled = 0\n',
    );
    expect(config.sftpd).toMatchObject({ enable_scp: true, upload_mode: 1 });
    expect(config.sftpd.defender.enabled).toBe(false);
  });

  it('takes null for an absent key: the default applies', async () => {
    const config = await load(
      'sftpgo.json',
      '{"sftpd": {"bind_port": null, "keys": null, "actions": null}, "httpd": null}',
    );
    expect(config).toEqual(DEFAULTS);
  });

  it('takes a single text for a list of one or more comma-separated items', async () => {
    const config = await load('sftpgo.json', '{"sftpd": {"enabled_ssh_commands": "scp, md5sum"}}');
    expect(config.sftpd.enabled_ssh_commands).toEqual(['scp', 'md5sum']);
  });

  it('still refuses a fraction for a whole number, and text that is no number', async () => {
    await expect(load('sftpgo.json', '{"sftpd": {"idle_timeout": 1.5}}')).rejects.toThrow(
      /"sftpd\.idle_timeout"/,
    );
    await expect(load('sftpgo.json', '{"sftpd": {"bind_port": "22x"}}')).rejects.toThrow(
      /"sftpd\.bind_port": "22x" is not a number/,
    );
  });

  it('reads keys in any case', async () => {
    const config = await load(
      'sftpgo.json',
      '{"SFTPD": {"Bind_Port": 2200, "ACTIONS": {"Execute_On": ["upload"]}}}',
    );
    expect(config.sftpd.bind_port).toBe(2200);
    expect(config.sftpd.actions.execute_on).toEqual(['upload']);
  });
});

describe('YAML, read as YAML 1.1 as the reference reads it', () => {
  it('takes yes, no, on and off for booleans and a leading-zero number as written', async () => {
    const config = await load(
      'sftpgo.yaml',
      'sftpd:\n  enable_scp: yes\n  umask: 0027\n  defender:\n    enabled: on\nhttpd:\n  bind_port: 08080\n',
    );
    expect(config.sftpd.enable_scp).toBe(true);
    expect(config.sftpd.umask).toBe('0027');
    expect(config.sftpd.defender.enabled).toBe(true);
    expect(config.httpd.bind_port).toBe(8080);
    expect((await load('sftpgo.yaml', 'sftpd:\n  enable_scp: no\n')).sftpd.enable_scp).toBe(false);
  });
});

describe('sftpd.umask', () => {
  it.each(['22', '022', '0022', '00022', '7', '0', '777', '0777'])('accepts %s', async (umask) => {
    expect((await load('sftpgo.json', JSON.stringify({ sftpd: { umask } }))).sftpd.umask).toBe(
      umask,
    );
  });

  it.each(['', '8', '1000', '0o22', '-22', '22 '])('refuses %j', async (umask) => {
    await expect(load('sftpgo.json', JSON.stringify({ sftpd: { umask } }))).rejects.toThrow(
      /"sftpd\.umask": must be an octal mode/,
    );
  });
});

describe('sftpd.banner', () => {
  it('takes a blank banner for an empty one: the default banner is sent', async () => {
    expect((await load('sftpgo.json', '{"sftpd": {"banner": " \\t "}}')).sftpd.banner).toBe('');
    expect((await load('sftpgo.json', '{"sftpd": {"banner": " My server"}}')).sftpd.banner).toBe(
      ' My server',
    );
  });
});
