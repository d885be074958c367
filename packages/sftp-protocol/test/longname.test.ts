import { longname, modeString } from '@sftpgo/sftp-protocol';
import { describe, expect, it } from 'vitest';

describe('longname', () => {
  it('renders modes as ls -l does', () => {
    expect(modeString(0o100644)).toBe('-rw-r--r--');
    expect(modeString(0o040755)).toBe('drwxr-xr-x');
    expect(modeString(0o120777)).toBe('lrwxrwxrwx');
    expect(modeString(0o104755)).toBe('-rwsr-xr-x');
    expect(modeString(0o041777)).toBe('drwxrwxrwt');
    expect(modeString(0o102644)).toBe('-rw-r-Sr--');
  });

  it('shows the time for recent files and the year for old ones', () => {
    const now = Date.UTC(2026, 10, 28, 12) / 1000;
    const recent = longname('a.txt', { mode: 0o100644, size: 5, uid: 1, gid: 2, mtime: now }, now);
    expect(recent).toMatch(/^-rw-r--r-- +1 1 +2 +5 Nov 28 \d\d:\d\d a\.txt$/);
    const old = longname('b', { mode: 0o100600, size: 0, mtime: now - 400 * 86400 }, now);
    expect(old).toMatch(/ 2025 b$/);
  });

  it('shows the number of hard links', () => {
    expect(longname('h', { mode: 0o100644 }, 0, 3)).toMatch(/^-rw-r--r-- +3 /);
  });
});
