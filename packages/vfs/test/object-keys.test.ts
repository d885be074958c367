import { keyPrefixProblem } from '@sftpgo/vfs';
import { expect, it } from 'vitest';

it('accepts a key prefix only as a plain relative path ending with "/"', () => {
  expect(keyPrefixProblem('')).toBeUndefined();
  expect(keyPrefixProblem('users/alice/')).toBeUndefined();
  expect(keyPrefixProblem('users/alice')).toMatch(/must end with "\/"/);
  expect(keyPrefixProblem('/users/')).toMatch(/must not start with "\/"/);
  for (const bad of ['users/../', 'a//b/', './a/', 'a\\b/', 'a\0/']) {
    expect(keyPrefixProblem(bad), bad).toBeDefined();
  }
});
