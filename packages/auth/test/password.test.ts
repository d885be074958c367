import { hashPassword, isHashedPassword, verifyPassword } from '@sftpgo/auth';
import { describe, expect, it } from 'vitest';
import { expectQuickRefusal } from './helpers.js';

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

  it('refuses argon2id parameters no login can afford, without computing them', async () => {
    const salt = 'c29tZXNhbHRzb21lc2FsdA';
    const hash = 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
    await expectQuickRefusal('x', `$argon2id$v=19$m=4194304,t=1,p=1$${salt}$${hash}`);
    await expectQuickRefusal('x', `$argon2id$v=19$m=1048576,t=1000,p=1$${salt}$${hash}`);
    await expectQuickRefusal('x', `$argon2id$v=19$m=19456,t=2,p=1000$${salt}$${hash}`);
    await expectQuickRefusal('x', `$argon2id$v=19$m=99999999999,t=2,p=1$${salt}$${hash}`);
  });

  it('recognises every stored form the spec names, by its prefix', () => {
    for (const value of [
      '$argon2id$v=19$m=19456,t=2,p=1$salt$hash',
      '$2a$14$ajq8Q7fbtFRQvXpdCq7Jcuy.Rx1h/L4J60Otx.gyNLbAYctGMJ9tK',
      '$2b$10$…',
      '$2y$10$…',
      '$pbkdf2-sha1$1$s$aA==',
      '$pbkdf2-sha256$150000$E86a9YMX3zC7$R5J62hsSq+pYw00hLLPKBbcGXmq7fj5+/M0IFoYtZbo=',
      '$pbkdf2-sha512$1$s$aA==',
      '$1$saltsalt$…',
      '$apr1$saltsalt$…',
      '$6$saltstring$…',
      '$6$rounds=10000$saltstring$…',
    ]) {
      expect(isHashedPassword(value), value).toBe(true);
    }
    for (const value of ['$2x$10$…', '$5$salt$…', '$pbkdf2-md5$1$s$aA==', '$argon2i$…', '1$x']) {
      expect(isHashedPassword(value), value).toBe(false);
    }
  });
});
