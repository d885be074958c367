// What the store holds once a soak run's sessions have ended: the files on
// disk against what the sessions left there, and the quota the server
// tracked against the disk.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StoreFigures {
  readonly files: number;
  readonly bytes: number;
  /**
   * The quota the server tracked when the load ended. Scans run during
   * transfers make it drift: a scan stores what it counted, and a file
   * uploaded or removed while it counted is off by one either way.
   */
  readonly trackedFiles: number;
  readonly trackedBytes: number;
  /** What is wrong, in words; empty when all agrees. */
  readonly problems: string[];
}

async function walk(dir: string): Promise<{ path: string; size: number }[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: { path: string; size: number }[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(path)));
    else if (entry.isFile()) found.push({ path, size: (await stat(path)).size });
  }
  return found;
}

/** Waits (60 s at most) until no quota scan runs, so that the tracked quota is settled. */
async function scansFinished(api: string): Promise<boolean> {
  for (let waited = 0; waited < 60_000; waited += 500) {
    const scans = (await (await fetch(`${api}/api/v1/quota_scan`)).json()) as unknown[];
    if (scans.length === 0) return true;
    await sleep(500);
  }
  return false;
}

interface UsedQuota {
  readonly used_quota_files: number;
  readonly used_quota_size: number;
}

async function usedQuota(api: string, username: string): Promise<UsedQuota> {
  const res = await fetch(`${api}/api/v1/user?username=${username}`);
  const [user] = (await res.json()) as UsedQuota[];
  if (!user) throw new Error(`${username} is not listed`);
  return user;
}

/**
 * Every SFTP round deletes its file and every SCP session overwrites one, so
 * the home must hold exactly one file per SCP session (`/scp-N.bin`); a
 * quota scan of the idle home must then count what is on disk.
 */
export async function storeCheck(
  api: string,
  username: string,
  home: string,
): Promise<StoreFigures> {
  const problems: string[] = [];
  if (!(await scansFinished(api))) problems.push('a quota scan still runs 60 s after the load');
  const tracked = await usedQuota(api, username);
  const started = await fetch(`${api}/api/v1/quota_scan`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  if (started.status !== 201) problems.push(`the last quota scan: ${started.status}`);
  if (!(await scansFinished(api))) problems.push('the last quota scan runs for more than 60 s');
  const user = await usedQuota(api, username);
  const files = await walk(home);
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  const left = files.filter((f) => !/\/scp-\d+\.bin$/.test(f.path));
  if (left.length > 0) {
    problems.push(
      `${left.length} files left by SFTP rounds, such as ${left[0]!.path.slice(home.length)}`,
    );
  }
  if (user.used_quota_files !== files.length || user.used_quota_size !== bytes) {
    problems.push(
      `a quota scan of the idle home: ${user.used_quota_files} files, ${user.used_quota_size} bytes; ` +
        `on disk ${files.length} files, ${bytes} bytes`,
    );
  }
  return {
    files: files.length,
    bytes,
    trackedFiles: tracked.used_quota_files,
    trackedBytes: tracked.used_quota_size,
    problems,
  };
}
