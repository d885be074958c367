// Bakes the git commit and the build date into the compiled server, so that
// `sftpgo -v` reports what was built. Run as a script it writes
// dist/build-info.json; scripts/bundle.mjs calls writeBuildInfo for bundle/.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The commit (`git describe --always --dirty`, or "unknown") and the build date. */
export function buildInfo() {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['describe', '--always', '--dirty'], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // not a git checkout: keep "unknown"
  }
  return { commit_hash: commit, build_date: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
}

/** Writes build-info.json into `dir`, the directory of the compiled version.js. */
export function writeBuildInfo(dir) {
  const info = buildInfo();
  writeFileSync(new URL('build-info.json', dir), `${JSON.stringify(info)}\n`);
  return info;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeBuildInfo(new URL('../dist/', import.meta.url));
}
