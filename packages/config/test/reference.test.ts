import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderConfigurationReference } from '../src/index.js';

const committed = new URL('../../../docs/configuration-reference.md', import.meta.url);

describe('renderConfigurationReference', () => {
  it('matches docs/configuration-reference.md', async () => {
    expect(
      await readFile(committed, 'utf8'),
      'docs/configuration-reference.md is out of date: run `pnpm docs:config`',
    ).toBe(renderConfigurationReference());
  });

  it('documents every key with its description, type, default and variable', () => {
    const reference = renderConfigurationReference();
    expect(reference).toContain(
      [
        '### `sftpd.bind_port`',
        '',
        'TCP port on which the SFTP server listens.',
        '',
        '- Type: integer from 0 to 65535',
        '- Default: `2022`',
        '- Environment variable: `SFTPGO_SFTPD__BIND_PORT`',
      ].join('\n'),
    );
    expect(reference).toContain(
      '- Default: `["md5sum","sha1sum","cd","pwd"]`\n- Environment variable: `SFTPGO_SFTPD__ENABLED_SSH_COMMANDS`',
    );
    expect(reference).toMatch(
      /### `sftpd\.keys\[\]\.private_key`\n\n.+\n\n- Type: string\n- Required in each item\n/,
    );
    expect(reference).toContain('- Type: one of `0`, `1`, `2`, `3`\n- Default: `0`');
    for (const section of ['sftpd', 'data_provider', 'httpd']) {
      expect(reference).toContain(`\n## ${section}\n`);
    }
  });

  it("documents the keys of the spec's default configuration, in its order", async () => {
    const spec = JSON.parse(
      await readFile(new URL('fixtures/default/sftpgo.json', import.meta.url), 'utf8'),
    );
    const paths = (data: Record<string, unknown>, prefix: string): string[] =>
      Object.entries(data).flatMap(([key, value]) => {
        const path = prefix ? `${prefix}.${key}` : key;
        const isSection = typeof value === 'object' && value !== null && !Array.isArray(value);
        return isSection
          ? (prefix ? [path] : []).concat(paths(value as Record<string, unknown>, path))
          : [path];
      });
    const documented = renderConfigurationReference()
      .match(/^### `[^`]+`$/gm)
      ?.map((heading) => heading.slice(5, -1));
    // The example has no key in its empty keys list, none of our extensions,
    // and none of the keys of later releases that we have.
    const notInExample = [
      'sftpd.keys[].private_key',
      'sftpd.proxy_',
      'sftpd.grace_time',
      'sftpd.defender',
      'sftpd.workers',
      'sftpd.max_per_host_connections',
    ];
    expect(documented?.filter((key) => !notInExample.some((k) => key.startsWith(k)))).toEqual(
      paths(spec, ''),
    );
  });
});
