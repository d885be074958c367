import { ProviderError } from '@sftpgo/provider';
import { describe, expect, it } from 'vitest';
import { loadDriverModule } from '../src/driver-module.js';

describe('the module of a database driver', () => {
  it('says which package to install when it is not installed', async () => {
    const missing = 'sftpgo-no-such-driver';
    const err = await loadDriverModule('postgresql', missing, () => import(missing)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({
      code: 'unavailable',
      message: `the postgresql driver needs the npm package ${missing}, which is not installed: run npm install ${missing}`,
    });
  });

  it('says why an installed one cannot be loaded', async () => {
    const err = await loadDriverModule('sqlite', 'better-sqlite3', async () => {
      throw new Error('was compiled against a different Node.js version');
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'the sqlite driver needs the npm package better-sqlite3, which could not be loaded: was compiled against a different Node.js version',
    );
  });

  it('loads an installed one', async () => {
    const pg = await loadDriverModule('postgresql', 'pg', () => import('pg'));
    expect(typeof pg.default.Client).toBe('function');
  });
});
