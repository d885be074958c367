import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scriptNodeFlags, shebangNodeFlags } from '../src/script-node-flags.js';

describe('shebangNodeFlags', () => {
  it('reads the flags that `env -S` gives node, and none from any other first line', () => {
    expect(shebangNodeFlags('#!/usr/bin/env -S node --v8-pool-size=1')).toEqual([
      '--v8-pool-size=1',
    ]);
    expect(shebangNodeFlags('#!/usr/bin/env -S node  --a --b=2 ')).toEqual(['--a', '--b=2']);
    expect(shebangNodeFlags('#!/usr/bin/env node')).toEqual([]);
    expect(shebangNodeFlags('#!/usr/bin/env -S nodejs --x')).toEqual([]);
    expect(shebangNodeFlags("import './gc-settings.js';")).toEqual([]);
  });

  it('gives the sftpgo and sftpgo-portable commands one thread for V8’s background work', () => {
    for (const script of ['../src/cli.ts', '../../portable/src/portable.ts']) {
      expect(scriptNodeFlags(fileURLToPath(new URL(script, import.meta.url))), script).toEqual([
        '--v8-pool-size=1',
      ]);
    }
    expect(scriptNodeFlags('/nonexistent/cli.js')).toEqual([]);
  });
});
