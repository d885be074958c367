import { describe, expect, it } from 'vitest';
import { hostPort, plainAddress } from '../src/client-address.js';

describe('plainAddress', () => {
  it('writes an IPv4-mapped IPv6 address as plain IPv4', () => {
    expect(plainAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(plainAddress('::FFFF:192.0.2.10')).toBe('192.0.2.10');
  });

  it('keeps IPv4 and IPv6 addresses as they are', () => {
    expect(plainAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(plainAddress('::1')).toBe('::1');
    expect(plainAddress('2001:db8::1')).toBe('2001:db8::1');
    expect(plainAddress('')).toBe('');
  });

  it('strips the prefix only before a dotted IPv4 address', () => {
    expect(plainAddress('::ffff:7f00:1')).toBe('::ffff:7f00:1');
    expect(plainAddress('::ffff:256.0.0.1')).toBe('::ffff:256.0.0.1');
    expect(plainAddress('::ffff:0:127.0.0.1')).toBe('::ffff:0:127.0.0.1');
  });
});

describe('hostPort', () => {
  it('writes address and port as Go does', () => {
    expect(hostPort('127.0.0.1', 54321)).toBe('127.0.0.1:54321');
    expect(hostPort('2001:db8::1', 54321)).toBe('[2001:db8::1]:54321');
  });
});
