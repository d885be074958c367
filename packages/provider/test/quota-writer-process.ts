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
 * to its stdin, and with `report` tells on its stdout how many are done
 * after each one.
 */
export async function startQuotaWriter(
  driver: 'sqlite' | 'bolt',
  path: string,
  count: number,
  migrationsDir = '',
  report = false,
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
      ...(report ? ['report'] : []),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout as Readable, 'data')) as [Buffer];
  if (line.toString() !== 'ready\n') throw new Error(`the writer said ${line.toString()}`);
  return child;
}

/**
 * Starts a reporting writer of `count` increments, kills it with SIGKILL once
 * it has done `before`, and resolves with the number it had acknowledged.
 */
export async function killQuotaWriter(
  driver: 'sqlite' | 'bolt',
  path: string,
  options: { readonly count: number; readonly before: number; readonly migrationsDir?: string },
): Promise<number> {
  const child = await startQuotaWriter(driver, path, options.count, options.migrationsDir, true);
  let output = '';
  const stdout = child.stdout as Readable;
  // 'close': after the last of its output is read, not only its exit
  const exited = once(child, 'close');
  stdout.on('data', (d: Buffer) => {
    output += d.toString();
    const done = Number(output.slice(output.lastIndexOf('\n', output.length - 2) + 1));
    if (done >= options.before && child.exitCode === null) child.kill('SIGKILL');
  });
  child.stdin?.write('go\n');
  const [code, signal] = await exited;
  if (signal !== 'SIGKILL') throw new Error(`the writer ended by itself (${code ?? signal})`);
  // the last whole line: what the writer was told had been stored
  const lines = output.split('\n').slice(0, -1);
  return Number(lines.at(-1) ?? 0);
}
