import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/index.js';

// Regressions of what the configuration fuzzer (fuzz/fuzz-config.ts) found in
// YAML files of a few kilobytes: a process aborted by V8, and loads that
// took seconds to minutes. Each input is the one of the failing case.

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.remove());

/** The ConfigError that loading `text` as sftpgo.yaml rejects with. */
async function refusal(text: string): Promise<ConfigError> {
  await writeFile(join(tmp.path, 'sftpgo.yaml'), text);
  const err = await loadConfig(tmp.path, 'sftpgo', {}).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

/** Lines `- &aN [*aN]`: each alias names the anchor of its own node, a cycle. */
function aliasCycles(count: number): string {
  const lines = ['- &a0 x'];
  for (let i = 1; i < count; i++) lines.push(`- &a${i} [*a${i}]`);
  return lines.join('\n');
}

describe('YAML files that would exhaust the loader', () => {
  it('refuse collections nested deeper than 64 levels, every time', async () => {
    // The second overflow of the library's recursion in a process aborted
    // it: "FATAL ERROR: RegExpCompiler Allocation failed".
    for (let i = 0; i < 3; i++) {
      expect((await refusal('['.repeat(1000))).message).toMatch(
        /sftpgo\.yaml: invalid YAML: collections nested deeper than 64 levels at line 1, column 65$/,
      );
    }
  });

  it('refuse nested explicit keys before their time explodes', async () => {
    // The fuzzer's case, stuck past its 10 s bound; 240 levels alone took 13 s.
    expect((await refusal(`${'? '.repeat(1024)}x`)).message).toMatch(
      /invalid YAML: collections nested deeper than 64 levels at line 1, column 129$/,
    );
  });

  it('keep a configuration nested 64 levels deep to the schema', async () => {
    // Two block mappings, then 62 lists.
    const text = `sftpd:\n  keys: ${'['.repeat(62)}${']'.repeat(62)}\n`;
    expect((await refusal(text)).message).toMatch(/"sftpd\.keys\.0": Invalid input/);
  });

  it('refuse more than 100 aliases', async () => {
    // 4,096 aliases of cycles, 70 KB, took 18 s: each is looked up in the
    // whole document, and cycles escape the library's alias limit.
    expect((await refusal(aliasCycles(4096))).message).toMatch(
      /invalid YAML: more than 100 aliases at line 102, column 10$/,
    );
  });

  it('read 100 aliases', async () => {
    const anchors = Array.from({ length: 100 }, (_, i) => `x${i}: &a${i} md5sum`);
    const aliases = Array.from({ length: 100 }, (_, i) => `*a${i}`);
    const text = `${anchors.join('\n')}\nsftpd:\n  enabled_ssh_commands: [${aliases.join(', ')}]\n`;
    await writeFile(join(tmp.path, 'sftpgo.yaml'), text);
    const { config } = await loadConfig(tmp.path, 'sftpgo', {});
    expect(config.sftpd.enabled_ssh_commands).toEqual(Array(100).fill('md5sum'));
  });

  it('place the first of thousands of errors on one line without quoting each', async () => {
    // 64 KiB of `"` took 6 s, each of its errors placed by quoting its
    // line, a time that grows as the square of the length: this file, four
    // times as long, took minutes, and takes a second or two. The bound is
    // loose, for a loaded machine; the message is the same as before.
    const started = performance.now();
    expect((await refusal('"'.repeat(4 * 65536))).message).toMatch(
      /invalid YAML: Unexpected double-quoted-scalar at node end at line 1, column 3$/,
    );
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
