// The virtual filesystem alone: a directory served as `/`, which no path a
// client sends can leave, links included.
//
//   node dist/main.js ./files
import { mkdir, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { cleanVirtualPath, OsFs, VfsError } from '@sftpgo/vfs';

const root = resolve(process.argv[2] ?? './files');
await mkdir(root, { recursive: true });
// a link planted inside the root, pointing out of it
await symlink('/etc', join(root, 'escape')).catch(() => {});

const fs = await OsFs.create(root, { followLinks: false });
const file = await fs.open('/notes.txt', { write: true, create: true, truncate: true });
await file.write(Buffer.from('kept inside\n'), 0, 12, 0);
await file.close();

for (const hostile of [
  '/notes.txt',
  '../../etc/passwd',
  '/notes.txt/../../../etc/passwd',
  '/escape/passwd',
]) {
  const path = cleanVirtualPath(hostile);
  try {
    const stat = await fs.stat(path);
    console.log(`${hostile} -> ${path}: a file of ${stat.size} bytes inside the root`);
  } catch (err) {
    if (!(err instanceof VfsError)) throw err;
    console.log(`${hostile} -> ${path}: ${err.code}`);
  }
}
await fs.close();
