import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';

const writer = fileURLToPath(new URL('fixtures/quota-writer.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * Starts a writer process (fixtures/quota-writer.ts) on a database file and
 * waits until its provider is open; it writes `count` increments on a line
 * to its stdin.
 */
export async function startQuotaWriter(
  driver: 'sqlite' | 'bolt',
  path: string,
  count: number,
  migrationsDir = '',
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@sftpgo/source',
      '--import',
      tsx,
      writer,
      driver,
      path,
      String(count),
      migrationsDir,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout as Readable, 'data')) as [Buffer];
  if (line.toString() !== 'ready\n') throw new Error(`the writer said ${line.toString()}`);
  return child;
}
