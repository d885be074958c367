import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Makes `work` a git repository on branch `main` whose one commit holds
 * `file` with `text`: the client side of the git tests, with no user
 * configuration needed.
 */
export function commitOneFile(work: string, file: string, text: string): void {
  execFileSync('git', ['init', '-q', '-b', 'main', work]);
  writeFileSync(join(work, file), text);
  execFileSync('git', ['-C', work, 'add', file]);
  const identity = ['-c', 'user.name=t', '-c', 'user.email=t@t'];
  execFileSync('git', ['-C', work, ...identity, 'commit', '-qm', `add ${file}`]);
}
