import { readFileSync } from 'node:fs';

interface BuildInfo {
  readonly commit_hash: string;
  readonly build_date: string;
}

function readJson<T>(url: URL): T | undefined {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

const pkg = readJson<{ version: string }>(new URL('../package.json', import.meta.url));
// Written next to the compiled files by scripts/write-build-info.mjs; absent
// when running from the TypeScript sources.
const build = readJson<BuildInfo>(new URL('./build-info.json', import.meta.url));

// in the key order of the reference server's `/api/v1/version`; a run from
// the sources knows neither commit nor date, and leaves them empty as the
// reference does
export const versionInfo = {
  version: pkg?.version ?? '0.0.0',
  build_date: build?.build_date ?? '',
  commit_hash: build?.commit_hash ?? '',
} as const;

/** `<semver>[-<git commit>][-<build date>]`, as `sftpgo -v` prints it: the parts known. */
export const fullVersion = [versionInfo.version, versionInfo.commit_hash, versionInfo.build_date]
  .filter((part) => part !== '')
  .join('-');
