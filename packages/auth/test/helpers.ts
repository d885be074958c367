import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { verifyPassword } from '@sftpgo/auth';
import { hasCommand } from '@sftpgo/test-utils';
import { expect } from 'vitest';

/** Whether `openssl passwd` can make vectors; under CI its absence is an error. */
export const hasOpenssl = hasCommand('openssl');

/**
 * `openssl passwd -<algorithm>` of each password, with a random salt unless
 * `salt` is given. The passwords go through stdin, one a line.
 */
export function opensslPasswd(
  algorithm: '1' | 'apr1' | '6',
  passwords: readonly string[],
  salt?: string,
): string[] {
  const args = ['passwd', `-${algorithm}`, ...(salt === undefined ? [] : ['-salt', salt])];
  const out = execFileSync('openssl', [...args, '-stdin'], {
    input: passwords.map((p) => `${p}\n`).join(''),
    encoding: 'utf8',
  });
  const hashes = out.trim().split('\n');
  expect(hashes).toHaveLength(passwords.length);
  return hashes;
}

/** Passwords that reach each branch of the crypt algorithms: lengths past 16 and 64 bytes, UTF-8. */
export const SAMPLE_PASSWORDS = [
  'a',
  'password',
  'Hello world!',
  'pässwörd ünïcødé 🔑',
  'x'.repeat(64),
  'a much longer passphrase, longer than a SHA-512 block of sixty-four bytes',
];

/** `stored` is refused, and quickly: its cost is never computed. */
export async function expectQuickRefusal(plain: string, stored: string): Promise<void> {
  const start = performance.now();
  expect(await verifyPassword(plain, stored)).toBe(false);
  expect(performance.now() - start).toBeLessThan(250);
}
