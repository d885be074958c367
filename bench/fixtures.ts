// The files the benchmark transfers, written once into a temp dir, and the
// checks that tell a complete transfer from a broken one.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** Random bytes repeated to make the large file: writing it stays fast. */
const BLOCK_SIZE = 16 * 1024 * 1024;

export interface FixtureSizes {
  /** Size of the large file. */
  readonly bigBytes: number;
  readonly smallCount: number;
  readonly smallBytes: number;
  readonly listCount: number;
}

/**
 * The layout, under one temp dir on one disk:
 * `server/` is the served root (`big.bin`, `small/`, `many/`), `client/` holds
 * the client side (`big.bin`, a hard link to the same data, and `small/`).
 */
export interface Fixtures {
  readonly serverRoot: string;
  readonly clientDir: string;
  readonly sizes: FixtureSizes;
  /** sha256 of the large file. */
  readonly bigDigest: string;
  /** {@link treeDigest} of the small files. */
  readonly smallDigest: string;
}

export async function createFixtures(dir: string, sizes: FixtureSizes): Promise<Fixtures> {
  const serverRoot = join(dir, 'server');
  const clientDir = join(dir, 'client');
  await mkdir(serverRoot, { recursive: true });
  await mkdir(clientDir, { recursive: true });

  const block = randomBytes(BLOCK_SIZE);
  const hash = createHash('sha256');
  const big = await open(join(clientDir, 'big.bin'), 'w');
  try {
    for (let done = 0; done < sizes.bigBytes; done += BLOCK_SIZE) {
      const chunk = block.subarray(0, Math.min(BLOCK_SIZE, sizes.bigBytes - done));
      await big.write(chunk);
      hash.update(chunk);
    }
  } finally {
    await big.close();
  }
  await link(join(clientDir, 'big.bin'), join(serverRoot, 'big.bin'));

  for (const side of [join(clientDir, 'small'), join(serverRoot, 'small')]) {
    await mkdir(side);
    for (let i = 0; i < sizes.smallCount; i++) {
      const at = (i * sizes.smallBytes) % (BLOCK_SIZE - sizes.smallBytes);
      await writeFile(join(side, smallName(i)), block.subarray(at, at + sizes.smallBytes));
    }
  }

  await mkdir(join(serverRoot, 'many'));
  for (let i = 0; i < sizes.listCount; i++) {
    await writeFile(join(serverRoot, 'many', `entry-${String(i).padStart(5, '0')}`), '');
  }
  syncDisks();
  return {
    serverRoot,
    clientDir,
    sizes,
    bigDigest: hash.digest('hex'),
    smallDigest: await treeDigest(join(clientDir, 'small')),
  };
}

function smallName(i: number): string {
  return `file-${String(i).padStart(5, '0')}.bin`;
}

/** Flushes dirty pages, so that one run's writeback does not land in the next run. */
export function syncDisks(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

export async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** Copies the first `bytes` bytes of `from` to `to`; resolves with the copy's sha256. */
export async function copyPrefix(from: string, to: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const source = createReadStream(from, { end: bytes - 1, highWaterMark: 1024 * 1024 });
  source.on('data', (chunk) => hash.update(chunk as Buffer));
  await pipeline(source, createWriteStream(to));
  return hash.digest('hex');
}

/** sha256 over the names and contents of the files of a flat directory, in name order. */
export async function treeDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const name of (await readdir(dir)).sort()) {
    hash.update(`${name}\0`);
    hash.update(await readFile(join(dir, name)));
  }
  return hash.digest('hex');
}

/** Fails unless `path` is a file of `size` bytes. */
export async function expectFileSize(path: string, size: number): Promise<void> {
  const st = await stat(path);
  if (st.size !== size) throw new Error(`${path}: ${st.size} bytes, expected ${size}`);
}

/** Fails unless `dir` holds `count` files of `size` bytes each. */
export async function expectTree(dir: string, count: number, size: number): Promise<void> {
  const names = await readdir(dir);
  if (names.length !== count) throw new Error(`${dir}: ${names.length} files, expected ${count}`);
  for (const name of names) await expectFileSize(join(dir, name), size);
}
