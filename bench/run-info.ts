// What a report says about the run: the machine, the versions and the code
// measured.
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** `git describe --always --dirty` of the checkout, or `unknown`. */
export function gitDescribe(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], {
      cwd: REPO,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown'; // not a git checkout
  }
}

/** The version of a Debian package, or `unknown` elsewhere. */
export function debianVersion(pkg: string): string {
  try {
    // Prints "name<TAB>version".
    const line = execFileSync('dpkg-query', ['-W', pkg], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return line.trim().split('\t')[1] || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `OpenSSH_9.2p1 Debian-2+deb12u10`: the first part of `ssh -V`. */
export function opensshVersion(): string {
  const ssh = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim().split(',')[0];
  return ssh || 'OpenSSH';
}

/** Cores, CPU model, memory and kernel. */
export function machine(): string {
  const gib = (totalmem() / 1024 ** 3).toFixed(0);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${availableParallelism()} cores (${cpu}), ${gib} GiB RAM, Linux ${release()}`;
}
