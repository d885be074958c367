import { cleanVirtualPath, VfsError } from '@sftpgo/vfs';
import { describe, expect, it } from 'vitest';

describe('cleanVirtualPath', () => {
  it.each([
    ['', '/'],
    ['.', '/'],
    ['/', '/'],
    ['a/b', '/a/b'],
    ['/a//b/', '/a/b'],
    ['../../etc/passwd', '/etc/passwd'],
    ['/a/../../..', '/'],
    ['a/./b/../c', '/a/c'],
    ['..\\..\\etc', '/etc'],
    ['dir\\file', '/dir/file'],
  ])('%j becomes %j', (input, expected) => {
    expect(cleanVirtualPath(input)).toBe(expected);
  });

  it('resolves relative paths from the working directory, never above the root', () => {
    expect(cleanVirtualPath('x', '/home')).toBe('/home/x');
    expect(cleanVirtualPath('../../../x', '/home')).toBe('/x');
  });

  it('refuses NUL bytes', () => {
    expect(() => cleanVirtualPath('a\0/etc/passwd')).toThrow(VfsError);
    expect(() => cleanVirtualPath('a\0')).toThrow(/NUL/);
  });

  it('refuses paths longer than PATH_MAX', () => {
    expect(() => cleanVirtualPath(`/${'a'.repeat(5000)}`)).toThrow(/longer than 4096/);
  });
});
