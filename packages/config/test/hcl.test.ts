import { describe, expect, it } from 'vitest';
import { parseHcl } from '../src/formats/hcl.js';

describe('parseHcl', () => {
  it('reads blocks, assignments of objects, lists and scalars', () => {
    const text = `
      sftpd {
        bind_port = 2022
        bind_address = "0.0.0.0"
        enable_scp = true
        ratio = -1.5e2
        actions = { execute_on = ["upload", "rename",], command = "" }
        keys = [{ private_key = "id_rsa" }, { private_key = "id_ecdsa" }]
      }
      "httpd" = { bind_port = 0 }
    `;
    expect(parseHcl(text)).toEqual({
      sftpd: {
        bind_port: 2022,
        bind_address: '0.0.0.0',
        enable_scp: true,
        ratio: -150,
        actions: { execute_on: ['upload', 'rename'], command: '' },
        keys: [{ private_key: 'id_rsa' }, { private_key: 'id_ecdsa' }],
      },
      httpd: { bind_port: 0 },
    });
  });

  it('skips the three kinds of comment', () => {
    const text = [
      '# a shell comment',
      'a = 1 // a line comment',
      '/* a block',
      '   comment */ b = /* inline */ 2',
    ].join('\n');
    expect(parseHcl(text)).toEqual({ a: 1, b: 2 });
  });

  it('reads the escapes of strings', () => {
    expect(parseHcl(String.raw`s = "a\"b\\c\nd\te \u00e9 \U0001F600 # not a comment"`)).toEqual({
      s: 'a"b\\c\nd\te é 😀 # not a comment',
    });
  });

  it('reads an empty file as an empty object', () => {
    expect(parseHcl('# nothing\n')).toEqual({});
  });

  it.each([
    ['a = 1\nb 2\n', 'line 2, column 3: expected "=" or "{" after "b", found 2'],
    ['a = 1\nb = "open\n', 'line 2, column 5: string is never closed'],
    ['a {\n  b = 1\n', 'line 3, column 1: a "{" is never closed'],
    ['a = [1, 2\n', 'line 2, column 1: expected "," or "]" in a list, found the end of the file'],
    ['a = [1,\n', 'line 2, column 1: a "[" is never closed'],
    ['a = 1\n\na = 2\n', 'line 3, column 1: "a" is already set on line 1'],
    ['a = yes\n', 'line 1, column 5: expected a value, found "yes"'],
    ['a = 1\n  @\n', 'line 2, column 3: unexpected character "@"'],
    ['a = "\\q"\n', 'line 1, column 6: invalid escape "\\q" in a string'],
    ['a = "\\u12"\n', 'line 1, column 6: invalid escape "\\u" in a string'],
    ['/* open\n\n', 'line 1, column 1: comment "/*" is never closed'],
    ['} = 1\n', 'line 1, column 1: expected a key, found "}"'],
  ])('says where %j is wrong', (text, message) => {
    expect(() => parseHcl(text)).toThrow(message);
  });

  it('keeps __proto__ as a key of its own', () => {
    const data = parseHcl('__proto__ { polluted = true }');
    expect(Object.keys(data)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
