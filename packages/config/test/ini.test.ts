import { describe, expect, it } from 'vitest';
import { parseIni } from '../src/formats/ini.js';

describe('parseIni', () => {
  it('nests the keys of dotted sections, and keys before any section under DEFAULT', () => {
    const text = 'top = 1\n[a]\nb = 2\n[a.c]\nd: 3\ne.f = 4\n';
    expect(parseIni(text)).toEqual({
      DEFAULT: { top: '1' },
      a: { b: '2', c: { d: '3', e: { f: '4' } } },
    });
  });

  it('skips comments, and cuts a value at # or ; unless it is in backticks', () => {
    const text = '# one\r\n; two\r\n\r\n[s]\r\na = x # comment\nb = `y # kept; too`\nc = p;q\n';
    expect(parseIni(text)).toEqual({ s: { a: 'x', b: 'y # kept; too', c: 'p' } });
  });

  it('removes surrounding quotes only', () => {
    expect(parseIni(`[s]\na = "x y"\nb = 'z'\nc = say "hi"\nd = "e"f"\n`)).toEqual({
      s: { a: 'x y', b: 'z', c: 'say "hi"', d: '"e"f"' },
    });
  });

  it.each([
    ['[s]\nkey\n', 'line 2: no "=" after the key: "key"'],
    ['[s..t]\n', 'line 1: malformed section "[s..t]"'],
    ['[s]\n= 1\n', 'line 2: malformed key "= 1"'],
    ['[s]\na = 1\n[s.a]\nb = 2\n', 'line 4: "s.a" has both a value and keys inside it'],
  ])('refuses %j: %s', (text, message) => {
    expect(() => parseIni(text)).toThrow(message);
  });
});
