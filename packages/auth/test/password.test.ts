import { hashPassword, isHashedPassword, verifyPassword } from '@sftpgo/auth';
import { describe, expect, it } from 'vitest';

describe('passwords', () => {
  it('hashes with argon2id and verifies', async () => {
    const stored = await hashPassword('correct horse');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(isHashedPassword(stored)).toBe(true);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct horsE', stored)).toBe(false);
  });

  it('salts each hash', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('never matches an empty password, an empty hash or an unknown form', async () => {
    const stored = await hashPassword('x');
    expect(await verifyPassword('', stored)).toBe(false);
    expect(await verifyPassword('x', '')).toBe(false);
    expect(await verifyPassword('x', 'x')).toBe(false);
    expect(await verifyPassword('x', '$argon2id$garbage')).toBe(false);
    expect(isHashedPassword('plain text')).toBe(false);
  });
});
