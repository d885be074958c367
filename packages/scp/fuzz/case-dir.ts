import { randomBytes } from 'node:crypto';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The disk of one case: `root`, which the server's Fs is confined to, and
// next to it `sentinel`, which holds a marker the client must never see and
// which must never change. Links in the root point at the sentinel, by
// relative and absolute paths: confined, they resolve inside the root.

export interface CaseDir {
  /** The directory holding `root` and `sentinel`: nothing else may appear in it. */
  readonly path: string;
  readonly root: string;
  readonly sentinel: string;
  /** Bytes of the sentinel's file: any output that holds them leaked it. */
  readonly marker: Buffer;
}

/** Names of the root's entries, for the generators that aim at them. */
export const ROOT_ENTRIES = [
  'target',
  'target/existing.txt',
  'file',
  'dir',
  'dir/a',
  'dir/sub',
  'dir/sub/b',
  'empty',
  'link-out',
  'link-abs',
  'link-file',
  'link-dir',
  'dangling',
] as const;

/** A fresh case directory with its root populated; `bigFile` adds a file of several chunks. */
export async function makeCaseDir(bigFile: boolean): Promise<CaseDir> {
  const path = await mkdtemp(join(tmpdir(), 'sftpgo-scp-fuzz-'));
  const root = join(path, 'root');
  const sentinel = join(path, 'sentinel');
  const marker = Buffer.from(`SENTINEL-${randomBytes(12).toString('hex')}`);
  await Promise.all([
    mkdir(sentinel),
    mkdir(join(root, 'target'), { recursive: true }),
    mkdir(join(root, 'dir/sub'), { recursive: true }),
  ]);
  await Promise.all([
    writeFile(join(sentinel, 'keep'), marker),
    mkdir(join(root, 'empty')),
    writeFile(join(root, 'target/existing.txt'), 'existing'),
    writeFile(join(root, 'file'), 'file content\n', { mode: 0o640 }),
    writeFile(join(root, 'dir/a'), 'a'),
    writeFile(join(root, 'dir/sub/b'), 'bb'),
    // A name the source cannot put in a record.
    writeFile(join(root, 'dir/line\nbreak'), 'n'),
    bigFile ? writeFile(join(root, 'dir/big'), Buffer.alloc(300 * 1024, 0x62)) : undefined,
    symlink('../sentinel', join(root, 'link-out')),
    symlink(sentinel, join(root, 'link-abs')),
    symlink('file', join(root, 'link-file')),
    symlink('dir', join(root, 'link-dir')),
    symlink('nowhere', join(root, 'dangling')),
  ]);
  return { path, root, sentinel, marker };
}

/** Every entry below `dir`, and `dir` itself, with type and mode, size and mtime; links not followed. */
export async function snapshot(dir: string): Promise<string[]> {
  const names = (await readdir(dir, { recursive: true })).map(String).sort();
  // The directory itself too: its mtime tells of an entry made and removed again.
  return Promise.all(
    ['.', ...names].map(async (name) => {
      const st = await lstat(join(dir, name));
      return `${JSON.stringify(name)} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs}`;
    }),
  );
}

/**
 * What escaped the root: an entry next to `root` and `sentinel`, or a
 * change in the sentinel. `sentinelBefore` is its snapshot taken before.
 */
export async function escapes(dir: CaseDir, sentinelBefore: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  const siblings = (await readdir(dir.path)).sort();
  if (siblings.join('/') !== 'root/sentinel') {
    problems.push(`entries next to the root: ${JSON.stringify(siblings)}`);
  }
  const sentinelAfter = await snapshot(dir.sentinel).catch((err: Error) => [err.message]);
  if (sentinelAfter.join('\n') !== sentinelBefore.join('\n')) {
    problems.push(`sentinel changed: ${JSON.stringify(sentinelAfter)}`);
  } else if (!(await readFile(join(dir.sentinel, 'keep'))).equals(dir.marker)) {
    problems.push('sentinel file rewritten');
  }
  return problems;
}

/** Removes the case directory, even where a received mode left a directory closed to its owner. */
export async function removeCaseDir(dir: CaseDir): Promise<void> {
  try {
    await rm(dir.path, { recursive: true, force: true });
  } catch {
    await openDirectories(dir.path);
    await rm(dir.path, { recursive: true, force: true });
  }
}

async function openDirectories(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isDirectory()) return;
  await chmod(path, 0o700);
  for (const name of await readdir(path)) await openDirectories(join(path, name));
}
