import { KeyCounts } from '@sftpgo/sftpd';
import { describe, expect, it } from 'vitest';

describe('KeyCounts', () => {
  it('gives back, once each, what is still held', () => {
    const counts = new KeyCounts();
    for (const key of ['alice', 'alice', 'bob', 'alice']) counts.add(key);
    expect(counts.count('alice')).toBe(3);
    expect(counts.remove('alice')).toBe(true);
    expect(counts.count('alice')).toBe(2);
    expect(counts.remove('bob')).toBe(true);
    expect(counts.remove('bob')).toBe(false);
    expect(counts.remove('carol')).toBe(false);
    const released: string[] = [];
    counts.drain((key) => released.push(key));
    expect(released).toEqual(['alice', 'alice']);
    counts.drain((key) => released.push(key));
    expect(released).toHaveLength(2);
  });
});
