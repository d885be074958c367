import { describe, expect, it } from 'vitest';
import { parseProperties } from '../src/formats/properties.js';

describe('parseProperties', () => {
  it('reads the three separators and nests dotted keys', () => {
    const text = 'a.b=1\na.c: 2\na.d 3\n  a.e  =  spaced value  \na.f=\n';
    expect(parseProperties(text)).toEqual({
      a: { b: '1', c: '2', d: '3', e: 'spaced value  ', f: '' },
    });
  });

  it('skips comments and blank lines, whatever the line endings', () => {
    expect(parseProperties('# one\r\n! two\r\n\r\n   \rkey=value # not a comment\n')).toEqual({
      key: 'value # not a comment',
    });
  });

  it('joins a line ending in an odd number of backslashes with the next', () => {
    const text = 'list=a, \\\n      b, \\\n      c\npath=C:\\\\\nnext=x\n';
    expect(parseProperties(text)).toEqual({ list: 'a, b, c', path: 'C:\\', next: 'x' });
  });

  it('reads escapes, in keys as in values', () => {
    const text = 'a\\=b\\ c=\\u00e9\\t\\n\\q\\:\nkey\\u002esub=x\n';
    expect(parseProperties(text)).toEqual({ 'a=b c': 'é\t\nq:', key: { sub: 'x' } });
  });

  it('keeps the last of a key given twice', () => {
    expect(parseProperties('a=1\na=2\n')).toEqual({ a: '2' });
  });

  it.each([
    ['a=1\nb=\\u00zz\n', 'line 2: malformed escape "\\u00zz": \\u takes four hexadecimal digits'],
    [
      'a=1\n\nb=x\\\n  \\u12\n',
      'line 3: malformed escape "\\u12": \\u takes four hexadecimal digits',
    ],
    ['a..b=1\n', 'line 1: malformed key "a..b"'],
    ['=1\n', 'line 1: malformed key ""'],
    ['a=1\na.b=2\n', 'line 2: "a" has both a value and keys inside it'],
    ['a.b=1\na=2\n', 'line 2: "a" has both a value and keys inside it'],
  ])('says on which line %j is wrong', (text, message) => {
    expect(() => parseProperties(text)).toThrow(message);
  });
});
