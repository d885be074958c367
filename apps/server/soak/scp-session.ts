// One SCP session of a soak run: OpenSSH's scp, in the SCP protocol (-O),
// uploading a file and downloading it back, with a sha256 check of every
// byte, in a loop. Each copy is a login of its own, as scripts that use scp
// do.
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tally } from './tally.js';

const MIN_FILE_BYTES = 32 * 1024;
const MAX_FILE_BYTES = 38 * 1024;
const COPY_TIMEOUT_MS = 120_000;

export interface ScpTarget {
  readonly port: number;
  readonly username: string;
  readonly keyFile: string;
}

function scp(target: ScpTarget, from: string, to: string): Promise<void> {
  const args = [
    '-O',
    '-q',
    '-P',
    String(target.port),
    '-i',
    target.keyFile,
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    from,
    to,
  ];
  return new Promise((resolve, reject) => {
    execFile('scp', args, { timeout: COPY_TIMEOUT_MS }, (err, _out, errOut) =>
      err ? reject(new Error(`scp ${from} ${to}: ${errOut.trim() || err.message}`)) : resolve(),
    );
  });
}

/**
 * Loops until `running()` is false: `local` is this session's own directory
 * on the client side, `remote` a path under the user's home that is
 * overwritten at each round.
 */
export async function scpSession(
  target: ScpTarget,
  local: string,
  remote: string,
  tally: Tally,
  running: () => boolean,
): Promise<void> {
  const host = `${target.username}@127.0.0.1`;
  const up = join(local, 'up.bin');
  const down = join(local, 'down.bin');
  while (running()) {
    const data = randomBytes(randomInt(MIN_FILE_BYTES, MAX_FILE_BYTES + 1));
    const digest = createHash('sha256').update(data).digest('hex');
    await writeFile(up, data);
    const started = performance.now();
    if (!(await tally.succeeds('scp_upload', () => scp(target, up, `${host}:${remote}`)))) continue;
    const downloaded = await tally.succeeds('scp_download', async () => {
      await scp(target, `${host}:${remote}`, down);
      const back = createHash('sha256')
        .update(await readFile(down))
        .digest('hex');
      if (back !== digest) throw new Error(`${remote}: downloaded bytes differ`);
    });
    if (downloaded) tally.ok('scp_round', performance.now() - started);
  }
}
