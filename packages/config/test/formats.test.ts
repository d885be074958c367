import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CONFIG_EXTENSIONS,
  type Config,
  ConfigError,
  loadConfig,
  parseConfig,
} from '../src/index.js';

const fixtures = fileURLToPath(new URL('fixtures', import.meta.url));
const FORMATS = ['json', 'yaml', 'toml', 'hcl', 'env', 'properties', 'ini'] as const;

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.remove());

/** Loads one fixture alone in a directory, without environment variables. */
async function loadFixture(set: 'default' | 'custom', extension: string) {
  await copyFile(join(fixtures, set, `sftpgo.${extension}`), join(tmp.path, `sftpgo.${extension}`));
  return loadConfig(tmp.path, 'sftpgo', {});
}

const DEFAULTS = parseConfig({}, 'the defaults');

const CUSTOM: Config = {
  ...DEFAULTS,
  sftpd: {
    ...DEFAULTS.sftpd,
    bind_port: 2222,
    banner: 'SFTPGo ✓',
    actions: {
      ...DEFAULTS.sftpd.actions,
      execute_on: ['upload', 'rename'],
      command: '/usr/local/bin/on-transfer',
    },
    keys: [{ private_key: 'id_rsa' }, { private_key: '/etc/sftpgo/id_ecdsa' }],
    enabled_ssh_commands: ['*'],
    defender: {
      ...DEFAULTS.sftpd.defender,
      enabled: true,
      allow_list: ['192.0.2.0/24', '2001:db8::/32'],
    },
  },
  data_provider: {
    ...DEFAULTS.data_provider,
    driver: 'postgresql',
    name: 'sftpgo',
    host: 'db.example.com',
    port: 5433,
    username: 'sftpgo',
    password: 'p@ss "w0rd"',
    sslmode: 2,
  },
  httpd: {
    ...DEFAULTS.httpd,
    certificate_file: 'certs/server.crt',
    certificate_key_file: 'certs/server.key',
  },
};

describe('configuration files', () => {
  it('searches every extension the reference searches, in its order', () => {
    expect(CONFIG_EXTENSIONS).toEqual([
      'json',
      'toml',
      'yaml',
      'yml',
      'properties',
      'props',
      'prop',
      'hcl',
      'dotenv',
      'env',
      'ini',
    ]);
  });

  it.each(FORMATS)("reads the spec's full default configuration as %s", async (extension) => {
    const { config, file, ignoredFiles } = await loadFixture('default', extension);
    expect(file).toBe(join(tmp.path, `sftpgo.${extension}`));
    expect(ignoredFiles).toEqual([]);
    expect(config).toEqual(DEFAULTS);
  });

  it.each(FORMATS)('reads a configuration of other values as %s', async (extension) => {
    const { config } = await loadFixture('custom', extension);
    expect(config).toEqual(CUSTOM);
  });

  it('reads .yml as YAML', async () => {
    await copyFile(join(fixtures, 'custom', 'sftpgo.yaml'), join(tmp.path, 'sftpgo.yml'));
    expect((await loadConfig(tmp.path, 'sftpgo', {})).config).toEqual(CUSTOM);
  });

  it('reads the first file found, and reports the others as ignored', async () => {
    await writeFile(join(tmp.path, 'sftpgo.json'), '{"sftpd": {"bind_port": 2200}}');
    await writeFile(join(tmp.path, 'sftpgo.yaml'), 'sftpd:\n  bind_port: 2300\n');
    await writeFile(join(tmp.path, 'sftpgo.properties'), 'sftpd.bind_port=2400\n');
    const { config, file, ignoredFiles } = await loadConfig(tmp.path, 'sftpgo', {});
    expect(file).toBe(join(tmp.path, 'sftpgo.json'));
    expect(config.sftpd.bind_port).toBe(2200);
    expect(ignoredFiles).toEqual([
      join(tmp.path, 'sftpgo.yaml'),
      join(tmp.path, 'sftpgo.properties'),
    ]);
  });

  it('reads a YAML file of comments only as the defaults', async () => {
    await writeFile(join(tmp.path, 'sftpgo.yaml'), '# nothing set yet\n');
    expect((await loadConfig(tmp.path, 'sftpgo', {})).config).toEqual(DEFAULTS);
  });

  it.each([
    ['yaml', 'sftpd:\n  bind_port: 1\n  bind_port: 2\n', /sftpgo\.yaml: invalid YAML: .*line 3/],
    ['toml', '[sftpd]\nbind_port = = 2022\n', /sftpgo\.toml: invalid TOML: line 2, column 13/],
    ['hcl', 'sftpd {\n  bind_port 2022\n}\n', /sftpgo\.hcl: invalid HCL: line 2, column 13/],
    ['properties', 'sftpd.banner=\\u12\n', /sftpgo\.properties: invalid properties: line 1/],
    ['env', 'sftpd.bind_port 2022\nsftpd.banner=x\n', /sftpgo\.env: invalid envfile: malformed/],
  ])('names the file and the place of a syntax error in %s', async (extension, text, message) => {
    await writeFile(join(tmp.path, `sftpgo.${extension}`), text);
    await expect(loadConfig(tmp.path, 'sftpgo', {})).rejects.toThrow(message);
  });

  it('refuses a file that holds no sections', async () => {
    await writeFile(join(tmp.path, 'sftpgo.yaml'), '- sftpd\n');
    await expect(loadConfig(tmp.path, 'sftpgo', {})).rejects.toThrow(
      /sftpgo\.yaml: the file must hold sections/,
    );
  });

  it('names the key and the file of a text value that is not of the right type', async () => {
    const file = join(tmp.path, 'sftpgo.properties');
    await writeFile(
      file,
      'sftpd.bind_port=22x\nsftpd.enable_scp=yes\nsftpd.keys=id_rsa\nsftpd.upload_mode=1\n',
    );
    const err = await loadConfig(tmp.path, 'sftpgo', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      `${file}: "sftpd.bind_port": "22x" is not a number; ` +
        `"sftpd.enable_scp": "yes" is not a boolean: 1, t, true, 0, f or false; ` +
        `"sftpd.keys": "id_rsa" is not a JSON list of objects, such as [{"private_key": "id_rsa"}]`,
    );
  });

  it('still validates coerced values, and ignores unknown keys of text formats', async () => {
    await writeFile(
      join(tmp.path, 'sftpgo.env'),
      'SFTPD__BIND_PORT=70000\nSFTPD__UPLOAD_MODE=3\nSFTPD__BIND_PROT=22\n',
    );
    const message = String(await loadConfig(tmp.path, 'sftpgo', {}).catch((e: unknown) => e));
    expect(message).toMatch(/sftpgo\.env: .*"sftpd\.bind_port": .*65535.*"sftpd\.upload_mode"/);
    expect(message).not.toContain('bind_prot');
  });

  it('refuses a key given both a value and keys inside it', async () => {
    await writeFile(join(tmp.path, 'sftpgo.env'), 'sftpd=1\nsftpd.bind_port=22\n');
    await expect(loadConfig(tmp.path, 'sftpgo', {})).rejects.toThrow(
      /sftpgo\.env: invalid envfile: "sftpd" has both a value and keys inside it/,
    );
  });

  it('takes __proto__ for an unknown key, never for the prototype', async () => {
    await writeFile(join(tmp.path, 'sftpgo.properties'), '__proto__.polluted=yes\n');
    const { warnings } = await loadConfig(tmp.path, 'sftpgo', {});
    expect(warnings).toEqual([expect.stringMatching(/unknown key "__proto__" ignored$/)]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
