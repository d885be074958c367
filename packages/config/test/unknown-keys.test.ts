import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../src/index.js';

const fixtures = fileURLToPath(new URL('fixtures', import.meta.url));

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.remove());

const DEFAULTS = parseConfig({}, 'the defaults');

describe('keys the configuration does not know', () => {
  it("load 0.9.6's shipped sftpgo.json, with a warning for each key of that later release", async () => {
    const file = join(tmp.path, 'sftpgo.json');
    await copyFile(join(fixtures, 'reference-0.9.6', 'sftpgo.json'), file);
    const { config, warnings } = await loadConfig(tmp.path, 'sftpgo', {});
    expect(config).toEqual(DEFAULTS);
    expect(warnings).toEqual([`${file}: unknown key "data_provider.pre_login_program" ignored`]);
  });

  it('name a misspelled key, in a section or in a list of sections, and keep the others', async () => {
    const file = join(tmp.path, 'sftpgo.yaml');
    await writeFile(
      file,
      [
        'sftpd:',
        '  bind_prot: 2200',
        '  idle_timeout: 5',
        '  keys:',
        '    - private_key: id_rsa',
        '      passphrase: x',
        'data_provider:',
        '  connectionstring: "host=db"',
      ].join('\n'),
    );
    const { config, warnings } = await loadConfig(tmp.path, 'sftpgo', {});
    expect(config.sftpd.bind_port).toBe(2022);
    expect(config.sftpd.idle_timeout).toBe(5);
    expect(config.sftpd.keys).toEqual([{ private_key: 'id_rsa' }]);
    expect(warnings).toEqual([
      `${file}: unknown key "sftpd.bind_prot" ignored: did you mean "sftpd.bind_port"?`,
      `${file}: unknown key "sftpd.keys.0.passphrase" ignored`,
      `${file}: unknown key "data_provider.connectionstring" ignored: did you mean "data_provider.connection_string"?`,
    ]);
  });

  it('name an unknown key in a list of objects given by a variable', async () => {
    const { config, warnings } = await loadConfig(tmp.path, 'sftpgo', {
      SFTPGO_SFTPD__KEYS: '[{"private_key": "id_rsa", "kind": "rsa"}]',
    });
    expect(config.sftpd.keys).toEqual([{ private_key: 'id_rsa' }]);
    expect(warnings).toEqual(['SFTPGO_SFTPD__KEYS: unknown key "sftpd.keys.0.kind" ignored']);
  });

  it('report nothing for a file of known keys', async () => {
    await mkdir(join(tmp.path, 'sub'));
    await copyFile(join(fixtures, 'default', 'sftpgo.json'), join(tmp.path, 'sub', 'sftpgo.json'));
    expect((await loadConfig(join(tmp.path, 'sub'), 'sftpgo', {})).warnings).toEqual([]);
  });
});
