import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../src/index.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.remove());

const DEFAULTS = parseConfig({}, 'the defaults');

async function message(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as Error).message;
}

describe('SFTPGO_SECTION__KEY environment variables', () => {
  it('override the defaults when there is no file: numbers, booleans, lists, nested keys', async () => {
    const { config, file } = await loadConfig(tmp.path, 'sftpgo', {
      SFTPGO_SFTPD__BIND_PORT: '2200',
      SFTPGO_SFTPD__ACTIONS__EXECUTE_ON: 'upload,download',
      SFTPGO_SFTPD__DEFENDER__ENABLED: 'true',
      SFTPGO_SFTPD__DEFENDER__ALLOW_LIST: '10.0.0.0/8, 192.0.2.1',
      SFTPGO_SFTPD__ENABLE_SCP: 'FALSE',
      SFTPGO_SFTPD__MAX_AUTH_TRIES: '-1',
      SFTPGO_SFTPD__KEYS: '[{"private_key": "id_ed25519"}]',
      SFTPGO_SFTPD__UPLOAD_MODE: '2',
      SFTPGO_DATA_PROVIDER__DRIVER: 'postgresql',
      SFTPGO_DATA_PROVIDER__PASSWORD: 'a,b 1',
      SFTPGO_HTTPD__BIND_ADDRESS: '',
    });
    expect(file).toBeUndefined();
    expect(config).toEqual({
      ...DEFAULTS,
      sftpd: {
        ...DEFAULTS.sftpd,
        bind_port: 2200,
        actions: { ...DEFAULTS.sftpd.actions, execute_on: ['upload', 'download'] },
        defender: {
          ...DEFAULTS.sftpd.defender,
          enabled: true,
          allow_list: ['10.0.0.0/8', '192.0.2.1'],
        },
        enable_scp: false,
        max_auth_tries: -1,
        keys: [{ private_key: 'id_ed25519' }],
        upload_mode: 2,
      },
      data_provider: { ...DEFAULTS.data_provider, driver: 'postgresql', password: 'a,b 1' },
      httpd: { ...DEFAULTS.httpd, bind_address: '' },
    });
  });

  it('take precedence over the file, which keeps the keys they do not set', async () => {
    await writeFile(
      join(tmp.path, 'sftpgo.yaml'),
      'sftpd:\n  bind_port: 2022\n  idle_timeout: 5\n  enabled_ssh_commands: [scp]\n',
    );
    const { config } = await loadConfig(tmp.path, 'sftpgo', {
      SFTPGO_SFTPD__BIND_PORT: '2300',
      SFTPGO_SFTPD__ENABLED_SSH_COMMANDS: '',
    });
    expect(config.sftpd.bind_port).toBe(2300);
    expect(config.sftpd.idle_timeout).toBe(5);
    expect(config.sftpd.enabled_ssh_commands).toEqual([]);
  });

  it('ignore the SFTPGO_ variables without "__" and every other variable', async () => {
    const { config } = await loadConfig(tmp.path, 'sftpgo', {
      SFTPGO_CONFIG_DIR: '/etc/sftpgo',
      SFTPGO_LOG_FILE_PATH: '',
      SFTPGO_USER_HOME_DIR: '/srv',
      PATH: '/usr/bin',
      sftpgo_sftpd__bind_port: 'not ours',
    });
    expect(config).toEqual(DEFAULTS);
  });

  it('ignore a variable that names no key or a whole section, with a warning naming it', async () => {
    const { config, warnings } = await loadConfig(tmp.path, 'sftpgo', {
      SFTPGO_SFTPD__BIND_PROT: '22',
      SFTPGO_NOSECTION__KEY: 'x',
      SFTPGO_SFTPD__KEYS__PRIVATE_KEY: 'id_rsa',
      SFTPGO_DATA_PROVIDER__PRE_LOGIN_PROGRAM: '/usr/local/bin/pre-login',
      SFTPGO_SFTPD__ACTIONS: 'upload',
      SFTPGO_SFTPD__BIND_PORT: '2200',
      SFTPGO_SFTPD__ACTOINS__COMMAND: '/usr/local/bin/on-upload',
    });
    expect(config).toEqual({ ...DEFAULTS, sftpd: { ...DEFAULTS.sftpd, bind_port: 2200 } });
    expect(warnings).toEqual([
      'SFTPGO_DATA_PROVIDER__PRE_LOGIN_PROGRAM: "data_provider.pre_login_program" is not a configuration key, ignored',
      'SFTPGO_NOSECTION__KEY: "nosection.key" is not a configuration key, ignored',
      'SFTPGO_SFTPD__ACTIONS: "sftpd.actions" is a section, ignored: set its keys one by one',
      'SFTPGO_SFTPD__ACTOINS__COMMAND: "sftpd.actoins.command" is not a configuration key, ignored: did you mean SFTPGO_SFTPD__ACTIONS__COMMAND?',
      'SFTPGO_SFTPD__BIND_PROT: "sftpd.bind_prot" is not a configuration key, ignored: did you mean SFTPGO_SFTPD__BIND_PORT?',
      'SFTPGO_SFTPD__KEYS__PRIVATE_KEY: "sftpd.keys.private_key" is not a configuration key, ignored',
    ]);
  });

  it('read booleans as the reference: 1, t, true, 0, f, false in any case', async () => {
    for (const [text, value] of [
      ['1', true],
      ['t', true],
      ['T', true],
      ['True', true],
      ['0', false],
      ['f', false],
      ['F', false],
      ['FALSE', false],
    ] as const) {
      const { config } = await loadConfig(tmp.path, 'sftpgo', { SFTPGO_SFTPD__ENABLE_SCP: text });
      expect(config.sftpd.enable_scp, text).toBe(value);
    }
  });

  it('refuse a value that is not of the type of the key, naming the variable', async () => {
    const text = await message(
      loadConfig(tmp.path, 'sftpgo', {
        SFTPGO_SFTPD__BIND_PORT: '22 22',
        SFTPGO_SFTPD__DEFENDER__ENABLED: 'yes',
      }),
    );
    expect(text).toBe(
      'SFTPGO_SFTPD__BIND_PORT: "22 22" is not a number; ' +
        'SFTPGO_SFTPD__DEFENDER__ENABLED: "yes" is not a boolean: 1, t, true, 0, f or false',
    );
  });

  it('name the variable, not the file, for a value the schema refuses', async () => {
    const file = join(tmp.path, 'sftpgo.json');
    await writeFile(file, '{"sftpd": {"umask": "bad"}}');
    const text = await message(
      loadConfig(tmp.path, 'sftpgo', {
        SFTPGO_SFTPD__BIND_PORT: '70000',
        SFTPGO_SFTPD__ACTIONS__EXECUTE_ON: 'upload,copy',
      }),
    );
    expect(text).toContain(`${file}: "sftpd.umask": must be an octal mode`);
    expect(text).toMatch(/SFTPGO_SFTPD__BIND_PORT: "sftpd\.bind_port": .*65535/);
    expect(text).toMatch(/SFTPGO_SFTPD__ACTIONS__EXECUTE_ON: "sftpd\.actions\.execute_on\.1"/);
  });

  it('read process.env when no environment is given', async () => {
    process.env.SFTPGO_HTTPD__BIND_PORT = '0';
    try {
      expect((await loadConfig(tmp.path, 'sftpgo')).config.httpd.bind_port).toBe(0);
    } finally {
      delete process.env.SFTPGO_HTTPD__BIND_PORT;
    }
  });
});
