import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/index.js';

// A file nested deeper than a configuration goes was refused with the
// loader's own "Maximum call stack size exceeded": it now says what is wrong.

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.remove());

async function refusal(file: string, text: string): Promise<ConfigError> {
  await writeFile(join(tmp.path, file), text);
  const err = await loadConfig(tmp.path, 'sftpgo', {}).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

const DEEP = 100_000;

describe('configuration files nested deeper than 64 levels', () => {
  it.each([
    ['sftpgo.json', `{"sftpd": {"keys": ${'['.repeat(DEEP)}${']'.repeat(DEEP)}}}`, 'JSON'],
    ['sftpgo.toml', `x = ${'['.repeat(500)}${']'.repeat(500)}\n`, 'TOML'],
    [
      'sftpgo.properties',
      `${Array.from({ length: DEEP }, (_, i) => `k${i}`).join('.')}=1\n`,
      'properties',
    ],
    ['sftpgo.env', `${Array.from({ length: 200 }, (_, i) => `K${i}`).join('__')}=1\n`, 'envfile'],
  ])('refuses %s, saying why', async (file, text, format) => {
    expect((await refusal(file, text)).message).toMatch(
      new RegExp(
        `${file.replace('.', '\\.')}: invalid ${format}: values nested deeper than 64 levels$`,
      ),
    );
  });

  it('refuses HCL before its parser recurses that deep, saying where', async () => {
    expect((await refusal('sftpgo.hcl', `x = ${'['.repeat(DEEP)}`)).message).toMatch(
      /sftpgo\.hcl: invalid HCL: line 1, column 69: values nested deeper than 64 levels$/,
    );
  });

  it('keeps a file nested 64 levels deep to the schema', async () => {
    // two objects, then 62 lists
    const text = `{"sftpd": {"keys": ${'['.repeat(62)}${']'.repeat(62)}}}`;
    expect((await refusal('sftpgo.json', text)).message).toMatch(/"sftpd\.keys\.0": Invalid input/);
  });
});
