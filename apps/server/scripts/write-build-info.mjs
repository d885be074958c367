// Bakes the git commit and the build date into the compiled server, so that
// `sftpgo -v` reports what was built.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

let commit = 'unknown';
try {
  commit = execFileSync('git', ['describe', '--always', '--dirty'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
} catch {
  // not a git checkout: keep "unknown"
}
const info = { commit_hash: commit, build_date: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
writeFileSync(new URL('../dist/build-info.json', import.meta.url), `${JSON.stringify(info)}\n`);
