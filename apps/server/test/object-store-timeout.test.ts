import { describe, expect, it } from 'vitest';
import { IDLE_TIMEOUT_VARIABLE, idleTimeoutFromEnv } from '../src/user-storages.js';

describe('SFTPGO_OBJECT_STORE_IDLE_TIMEOUT', () => {
  it('is whole seconds, turned into milliseconds; unset or empty leaves the default', () => {
    expect(idleTimeoutFromEnv({})).toBeUndefined();
    expect(idleTimeoutFromEnv({ [IDLE_TIMEOUT_VARIABLE]: ' ' })).toBeUndefined();
    expect(idleTimeoutFromEnv({ [IDLE_TIMEOUT_VARIABLE]: '90' })).toBe(90_000);
  });

  it('refuses what is not a whole number of seconds, naming the variable', () => {
    for (const bad of ['0', '1.5', '-3', '2s', 'ten']) {
      expect(() => idleTimeoutFromEnv({ [IDLE_TIMEOUT_VARIABLE]: bad }), bad).toThrow(
        `SFTPGO_OBJECT_STORE_IDLE_TIMEOUT: expected a whole number of seconds, at least 1, got "${bad}"`,
      );
    }
  });
});
