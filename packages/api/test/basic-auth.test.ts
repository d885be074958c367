import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApi, Htpasswd } from '@sftpgo/api';
import { type DataProvider, openMemoryProvider } from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, version } from './helpers.js';

/** md5-crypt of `admin-secret`. */
const HASH = '$apr1$webtests$ZXsoSuKojOGn5psHX/wnT1';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;

beforeAll(async () => {
  tmp = await makeTempDir();
  provider = await openMemoryProvider();
});

afterAll(async () => {
  await provider.close();
  await tmp.remove();
});

const statusAs = async (base: string, user: string) =>
  (
    await fetch(`${base}/version`, {
      headers: { authorization: `Basic ${btoa(`${user}:admin-secret`)}` },
    })
  ).status;

describe('auth_user_file', () => {
  it('skips a line it cannot use with a warning, and lets in the others', async () => {
    const file = join(tmp.path, 'skipping');
    await writeFile(
      file,
      `# admins\nbad line\nsha:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\nann:${HASH}\n`,
    );
    const warnings: string[] = [];
    const htpasswd = await Htpasswd.load(file, { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([
      `${file}:2: skipped: expected user:hash with a bcrypt ($2y$) or md5-crypt ($apr1$) hash`,
      `${file}:3: skipped: expected user:hash with a bcrypt ($2y$) or md5-crypt ($apr1$) hash`,
    ]);
    const api = await listen(createApi({ provider, version, htpasswd }));
    try {
      expect(await statusAs(api.base, 'ann')).toBe(200);
      expect(await statusAs(api.base, 'sha')).toBe(401);
    } finally {
      await api.close();
    }
  });

  it('reads the file again when it changes: users added and removed without a restart', async () => {
    const file = join(tmp.path, 'changing');
    await writeFile(file, `ann:${HASH}\n`);
    const warnings: string[] = [];
    const htpasswd = await Htpasswd.load(file, { onWarning: (w) => warnings.push(w) });
    const api = await listen(createApi({ provider, version, htpasswd }));
    try {
      expect(await statusAs(api.base, 'ann')).toBe(200);
      expect(await statusAs(api.base, 'bob')).toBe(401);

      await writeFile(`${file}.new`, `bob:${HASH}\n`);
      await rename(`${file}.new`, file);
      expect(await statusAs(api.base, 'bob')).toBe(200);
      expect(await statusAs(api.base, 'ann')).toBe(401);

      // a file that cannot be read lets nobody in, until it is back
      await rm(file);
      expect(await statusAs(api.base, 'bob')).toBe(401);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/ENOENT.*: no one can authenticate$/);
      await writeFile(file, `ann:${HASH}\nbob:${HASH}\n`);
      expect(await statusAs(api.base, 'ann')).toBe(200);
      expect(await statusAs(api.base, 'bob')).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('refuses to start without a readable file', async () => {
    await expect(Htpasswd.load(join(tmp.path, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});
