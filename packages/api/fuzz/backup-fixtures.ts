// The files `loaddata` and `dumpdata` are pointed at: backups inside the
// backups directory of every kind the route must tell apart, and, outside
// it, files that would show if the API ever read or wrote them.
import {
  lstat,
  mkdir,
  readdir,
  readFile,
  rm,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { BCRYPT_HASH } from './user-samples.js';

/**
 * What no answer may ever contain: the text of a file outside the backups
 * directory. Short, so that a JSON parser's error quotes it whole.
 */
export const OUTSIDE_MARKER = 'LEAK-f7c2e9';

/** The users of the outside dumps: stored only if `loaddata` read outside its directory. */
export const LEAKED_USERNAMES = ['leaked-outside', 'leaked-sibling'] as const;

/** The reference server's largest backup, plus one byte. */
const TOO_LARGE = 10 * 1024 * 1024 + 1;

function dumpOf(username: string, homesRoot: string): string {
  return JSON.stringify({
    users: [
      {
        username,
        password: BCRYPT_HASH,
        home_dir: join(homesRoot, username),
        permissions: { '/': ['*'] },
        status: 1,
        // read back in a parse error, were the file damaged in the reader's eyes
        description: OUTSIDE_MARKER,
      },
    ],
  });
}

/** Links inside the backups directory that lead out of it: a dump may replace them with files. */
const LINKS: Readonly<Record<string, string>> = {
  'escape.json': '../outside/secret.json',
  'escape-dir': '../outside',
  'escape-abs.json': '/etc/passwd',
  'loop.json': 'loop.json',
  'dangling.json': 'missing.json',
};

export interface BackupFixtures {
  /** `input_file` values worth trying: files inside of every kind, and the ways out. */
  readonly inputFiles: readonly string[];
  /** The backups that load, or load in part. */
  readonly loadableFiles: readonly string[];
  /** `output_file` values worth trying, the ways out among them. */
  readonly outputFiles: readonly string[];
  /** Puts back the links a dump replaced with a file, so that they are tried again. */
  restoreLinks(): Promise<void>;
  /** Writes `text` as the backup `fuzzed.json`, for a `loaddata` of a damaged dump. */
  writeFuzzedBackup(text: string | Buffer): Promise<string>;
  /** Problems with the outside files: one written, changed or added by a request. */
  outsideChanges(): Promise<string[]>;
}

/**
 * Writes the backups under `backupsPath` (`validDump`, the known users'
 * dump, among them) and the outside files beside it, in `root`.
 */
export async function writeBackupFixtures(
  root: string,
  backupsPath: string,
  homesRoot: string,
  validDump: string,
): Promise<BackupFixtures> {
  const outside = join(root, 'outside');
  const sibling = `${backupsPath}-evil`; // a prefix of the backups path: not inside it
  await mkdir(join(backupsPath, 'sub'), { recursive: true, mode: 0o700 });
  await mkdir(join(backupsPath, 'a-dir'));
  await mkdir(outside);
  await mkdir(sibling);
  const outsideFiles: Record<string, string> = {
    [join(outside, 'secret.json')]: dumpOf(LEAKED_USERNAMES[0], homesRoot),
    [join(outside, 'secret.txt')]: OUTSIDE_MARKER,
    [join(sibling, 'secret.json')]: dumpOf(LEAKED_USERNAMES[1], homesRoot),
  };
  for (const [path, text] of Object.entries(outsideFiles)) await writeFile(path, text);

  const inside: Record<string, string> = {
    'known.json': validDump,
    'sub/nested.json': validDump,
    'bom.json': `\uFEFF${validDump}`,
    'broken.json': '{"users": [',
    'empty.json': '',
    'not-object.json': '[]',
    'no-users.json': '{"users": null}',
    'bad-user.json': '{"users": [42]}',
    // the second user is invalid: the first is stored all the same, as documented
    'partly-valid.json': JSON.stringify({
      users: [
        { username: 'loaded-first', password: BCRYPT_HASH, home_dir: join(homesRoot, 'lf') },
        { username: 'loaded second', home_dir: 'relative' },
      ],
    }),
  };
  for (const [name, text] of Object.entries(inside)) await writeFile(join(backupsPath, name), text);
  // sparse: refused by its size before a byte of it is read
  await writeFile(join(backupsPath, 'too-large.json'), '');
  await truncate(join(backupsPath, 'too-large.json'), TOO_LARGE);

  const restoreLinks = async () => {
    for (const [name, target] of Object.entries(LINKS)) {
      const path = join(backupsPath, name);
      const info = await lstat(path).catch(() => undefined);
      if (info?.isSymbolicLink()) continue;
      await rm(path, { recursive: true, force: true });
      await symlink(target, path);
    }
  };
  await restoreLinks();

  const outsideEntries = async () => ({
    root: (await readdir(root)).sort(),
    outside: (await readdir(outside)).sort(),
    sibling: (await readdir(sibling)).sort(),
  });
  const entriesBefore = JSON.stringify(await outsideEntries());

  const relativeOut = [
    '../outside/secret.json',
    '../backups-evil/secret.json',
    '../outside/secret.txt',
  ];
  const absoluteOut = Object.keys(outsideFiles);
  const inputFiles = [
    ...Object.keys(inside),
    'too-large.json',
    'a-dir',
    // not fuzzed.json: damaged bytes may have made of a home dir anything, `/` too, for a scan
    'missing.json',
    ...Object.keys(LINKS),
    'escape-dir/secret.json',
    'escape-dir/secret.txt',
    'escape-dir/../known.json',
    'sub/../known.json',
    'sub/../../outside/secret.json',
    './known.json',
    'sub//nested.json',
    'known.json/',
    ' known.json ',
    'known.json/.',
    '.',
    '..',
    '...',
    ...relativeOut,
    ...absoluteOut,
    join(backupsPath, 'known.json'),
    join(backupsPath, 'escape.json'),
    join(backupsPath, 'escape-dir', 'secret.json'),
    `${backupsPath}/../outside/secret.json`,
    `${backupsPath}/sub/../known.json`,
    backupsPath,
    `${backupsPath}/`,
    '/etc/passwd',
    '/proc/self/environ',
    '/dev/zero',
    '/dev/stdin',
    '/',
    'file:///etc/passwd',
    '~/known.json',
    '..\\outside\\secret.json',
    'C:\\Windows\\win.ini',
    'known.json\0../outside/secret.json',
    'a'.repeat(300),
    `${'a'.repeat(300)}/known.json`,
    `${'sub/'.repeat(1200)}known.json`,
    `${'../'.repeat(40)}etc/passwd`,
  ];
  const outputFiles = [
    'out.json',
    'sub/out.json',
    'deep/a/b/c.json',
    'known.json',
    'fuzzed.json',
    'a-dir',
    'a-dir/',
    'sub',
    'known.json/x.json',
    'too-large.json/x',
    ...Object.keys(LINKS),
    'escape-dir/pwn.json',
    'loop.json/x.json',
    '../outside/pwn.json',
    '../pwn.json',
    'sub/../../pwn.json',
    join(outside, 'pwn.json'),
    join(root, 'pwn.json'),
    join(backupsPath, 'abs.json'),
    '.',
    './',
    '..',
    '',
    ' ',
    'out\0.json',
    'a\\b.json',
    'x/',
    'a'.repeat(300),
    `${'d/'.repeat(1200)}x.json`,
    `${'a'.repeat(300)}/x.json`,
  ];

  return {
    inputFiles,
    loadableFiles: ['known.json', 'sub/nested.json', 'bom.json', 'partly-valid.json'],
    outputFiles,
    restoreLinks,
    async writeFuzzedBackup(text) {
      await writeFile(join(backupsPath, 'fuzzed.json'), text);
      return 'fuzzed.json';
    },
    async outsideChanges() {
      const problems: string[] = [];
      const entriesNow = JSON.stringify(await outsideEntries());
      if (entriesNow !== entriesBefore) {
        problems.push(
          `files appeared beside the backups directory: ${entriesBefore} -> ${entriesNow}`,
        );
      }
      for (const [path, text] of Object.entries(outsideFiles)) {
        const now = await readFile(path, 'utf8').catch((err: Error) => err.message);
        if (now !== text) problems.push(`${path}, outside the backups directory, was changed`);
      }
      return problems;
    },
  };
}
