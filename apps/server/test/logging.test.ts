import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AppLoggerOptions, createAppLogger, formatLine } from '../src/logging/app-logger.js';
import { backupTimestamp, RotatingFileStream } from '../src/logging/rotating-file.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let logPath: string;
beforeEach(async () => {
  tmp = await makeTempDir('sftpgo-logging-');
  logPath = join(tmp.path, 'sftpgo.log');
});
afterEach(() => tmp.remove());

const BACKUP_NAME = /^sftpgo-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}\.log(\.gz)?$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function fileOptions(overrides: Partial<AppLoggerOptions> = {}): AppLoggerOptions {
  return {
    filePath: logPath,
    maxSizeMB: 10,
    maxBackups: 5,
    maxAgeDays: 28,
    compress: false,
    verbose: true,
    ...overrides,
  };
}

/** The rotated files, oldest first (their names sort by time). */
async function backups(): Promise<string[]> {
  return (await readdir(tmp.path)).filter((n) => BACKUP_NAME.test(n)).sort();
}

async function content(name: string): Promise<string> {
  const data = await readFile(join(tmp.path, name));
  return (name.endsWith('.gz') ? gunzipSync(data) : data).toString('utf8');
}

/** Every line written, from the oldest backup to the current file. */
async function allContent(): Promise<string> {
  const parts: string[] = [];
  for (const name of await backups()) parts.push(await content(name));
  parts.push(await content('sftpgo.log'));
  return parts.join('');
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { stream, text: () => text };
}

function parseLines(text: string): Record<string, unknown>[] {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('formatLine', () => {
  it("puts an app line's connection_id before its message, and leaves the others' order", () => {
    const app = JSON.parse(
      formatLine({ level: 'info', sender: 'sftpd', message: 'closing', connection_id: 'c9' }, 0),
    );
    expect(Object.entries(app)).toEqual([
      ['level', 'info'],
      ['time', '1970-01-01T00:00:00.000Z'],
      ['sender', 'sftpd'],
      ['connection_id', 'c9'],
      ['message', 'closing'],
    ]);
    const transfer = JSON.parse(
      formatLine({ level: 'info', sender: 'Upload', file_path: '/a', connection_id: 'c9' }, 0),
    );
    expect(Object.keys(transfer)).toEqual([
      'level',
      'time',
      'sender',
      'file_path',
      'connection_id',
    ]);
  });
});

describe('formatLine', () => {
  it('writes big integers and errors readably, at any depth', () => {
    const line = JSON.parse(
      formatLine(
        {
          level: 'error',
          sender: 'sftpd',
          size: 2n ** 64n,
          cause: new Error('disk full'),
          details: { inner: new Error('EIO'), count: 1n },
        },
        0,
      ),
    );
    expect(line).toMatchObject({
      size: '18446744073709551616',
      cause: 'disk full',
      details: { inner: 'EIO', count: '1' },
    });
  });
});

describe('createAppLogger', () => {
  it('writes one JSON object a line: level, time, sender, then the fields in order', async () => {
    const { logger, close } = createAppLogger(fileOptions());
    const before = Date.now();
    logger.log({ level: 'info', sender: 'service', message: 'started' });
    logger.log({
      level: 'warn',
      sender: 'Upload',
      elapsed_ms: 12,
      size_bytes: 65536,
      username: 'alice',
      file_path: '/a/b.txt',
      connection_id: 'c1',
      protocol: 'SFTP',
    });
    logger.log({
      sender: 'Rename',
      username: 'bob',
      level: 'error',
      message: 'x',
      exception: true,
    });
    await close();
    const after = Date.now();

    const text = await readFile(logPath, 'utf8');
    const lines = parseLines(text);
    expect(lines).toHaveLength(3);
    // an app line always has a connection_id, before its message, as in the reference
    expect(Object.keys(lines[0]!)).toEqual(['level', 'time', 'sender', 'connection_id', 'message']);
    expect(lines[0]).toMatchObject({
      level: 'info',
      sender: 'service',
      connection_id: '',
      message: 'started',
    });
    expect(Object.keys(lines[1]!)).toEqual([
      'level',
      'time',
      'sender',
      'elapsed_ms',
      'size_bytes',
      'username',
      'file_path',
      'connection_id',
      'protocol',
    ]);
    expect(lines[1]).toMatchObject({ level: 'warn', sender: 'Upload', size_bytes: 65536 });
    // No `message` added when there is none; keys such as `exception` are the entry's own.
    expect(Object.keys(lines[2]!)).toEqual([
      'level',
      'time',
      'sender',
      'connection_id',
      'message',
      'username',
      'exception',
    ]);
    for (const line of lines) {
      const time = line.time as string;
      expect(time).toMatch(ISO_TIME);
      expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(time)).toBeLessThanOrEqual(after);
    }
    expect(text).not.toContain('\u001b[');
    expect((await stat(logPath)).mode & 0o777).toBe(0o600);
  });

  it('drops debug lines unless verbose', async () => {
    const quiet = capture();
    const a = createAppLogger(fileOptions({ filePath: '', verbose: false, stderr: quiet.stream }));
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      a.logger.log({ level, sender: 'test', message: level });
    }
    await a.close();
    expect(parseLines(quiet.text()).map((l) => l.level)).toEqual(['info', 'warn', 'error']);

    const verbose = capture();
    const b = createAppLogger(fileOptions({ filePath: '', verbose: true, stderr: verbose.stream }));
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      b.logger.log({ level, sender: 'test', message: level });
    }
    await b.close();
    expect(parseLines(verbose.text()).map((l) => l.level)).toEqual([
      'debug',
      'info',
      'warn',
      'error',
    ]);
  });

  it('writes to stderr when the file path is empty, and creates no file', async () => {
    const err = capture();
    const { logger, close } = createAppLogger(fileOptions({ filePath: '', stderr: err.stream }));
    logger.log({ level: 'info', sender: 'service', message: 'hello', n: 1n });
    await close();
    // Logging after close is ignored, not an error.
    logger.log({ level: 'info', sender: 'service', message: 'late' });
    const [line] = parseLines(err.text());
    expect(line).toEqual({
      level: 'info',
      time: expect.stringMatching(ISO_TIME),
      sender: 'service',
      connection_id: '',
      message: 'hello',
      n: '1',
    });
    expect(await readdir(tmp.path)).toEqual([]);
    expect(err.stream.writableEnded).toBe(false);
  });

  it('rotates at a fractional size in megabytes', async () => {
    // 0.001 MB = 1,048 bytes.
    const { logger, close } = createAppLogger(fileOptions({ maxSizeMB: 0.001, maxBackups: 0 }));
    for (let i = 0; i < 40; i++) {
      logger.log({ level: 'info', sender: 'test', message: `line ${i} ${'x'.repeat(60)}` });
    }
    await close();
    const names = await backups();
    expect(names.length).toBeGreaterThanOrEqual(2);
    for (const name of names) {
      const size = (await stat(join(tmp.path, name))).size;
      expect(size).toBeLessThanOrEqual(1048);
      expect(size).toBeGreaterThan(1048 - 150);
    }
    const messages = parseLines(await allContent()).map((l) => l.message);
    expect(messages).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i} ${'x'.repeat(60)}`));
  });

  it('fails at creation when the log folder does not exist', () => {
    const filePath = join(tmp.path, 'missing', 'sftpgo.log');
    expect(() => createAppLogger(fileOptions({ filePath }))).toThrow(
      /cannot open the log file .*missing.*sftpgo\.log.*does not exist/,
    );
    expect(() => new RotatingFileStream(filePath)).toThrow(/does not exist/);
  });
});

describe('RotatingFileStream', () => {
  it('rotates before a write that would exceed the size, with lumberjack names', async () => {
    const stream = new RotatingFileStream(logPath, { maxSizeBytes: 10 });
    stream.write('aaaa\n'); // 5
    stream.write('bbbb\n'); // 10: fits exactly
    stream.write('cc\n'); // would be 13: rotate
    stream.write('this line is longer than the max\n'); // alone, in a fresh file
    stream.write('dd\n');
    await stream.close();

    const names = await backups();
    expect(names).toHaveLength(3);
    for (const name of names) expect(name).toMatch(BACKUP_NAME);
    expect(await Promise.all(names.map(content))).toEqual([
      'aaaa\nbbbb\n',
      'cc\n',
      'this line is longer than the max\n',
    ]);
    expect(await content('sftpgo.log')).toBe('dd\n');
  });

  it('names backups by the UTC time of the rotation', async () => {
    const now = Date.UTC(2026, 10, 28, 10, 0, 0, 0);
    const stream = new RotatingFileStream(logPath, { maxSizeBytes: 4, now: () => now });
    stream.write('one\n');
    stream.write('two\n');
    stream.write('six\n');
    await stream.close();
    // Two rotations in the same millisecond never share a name.
    expect(await backups()).toEqual([
      'sftpgo-2026-11-28T10-00-00.000.log',
      'sftpgo-2026-11-28T10-00-00.001.log',
    ]);
    expect(backupTimestamp(now)).toBe('2026-11-28T10-00-00.000');
  });

  it('appends to an existing file, whose size counts', async () => {
    await writeFile(logPath, 'old 1\nold 2\n', { mode: 0o640 });
    const stream = new RotatingFileStream(logPath, { maxSizeBytes: 20 });
    stream.write('new 1\n'); // 12 + 6 = 18
    stream.write('new 2\n'); // 24 > 20: rotate
    await stream.close();
    const [backup] = await backups();
    expect(await content(backup!)).toBe('old 1\nold 2\nnew 1\n');
    expect(await content('sftpgo.log')).toBe('new 2\n');
    // The new file keeps the mode of the one it replaces.
    expect((await stat(logPath)).mode & 0o777).toBe(0o640);
  });

  it('creates the file with mode 0600', async () => {
    const stream = new RotatingFileStream(logPath);
    await stream.close();
    expect((await stat(logPath)).mode & 0o777).toBe(0o600);
  });

  it('keeps only maxBackups rotated files, the newest', async () => {
    const stream = new RotatingFileStream(logPath, { maxSizeBytes: 8, maxBackups: 2 });
    for (let i = 0; i < 6; i++) stream.write(`line ${i}\n`);
    await stream.close();
    const names = await backups();
    expect(names).toHaveLength(2);
    expect(await Promise.all(names.map(content))).toEqual(['line 3\n', 'line 4\n']);
    expect(await content('sftpgo.log')).toBe('line 5\n');
  });

  it('removes rotated files older than maxAgeDays, by the time in their names', async () => {
    const day = 24 * 60 * 60 * 1000;
    const old = `sftpgo-${backupTimestamp(Date.now() - 10 * day)}.log`;
    const oldCompressed = `sftpgo-${backupTimestamp(Date.now() - 30 * day)}.log.gz`;
    const recent = `sftpgo-${backupTimestamp(Date.now() - 2 * day)}.log`;
    const unrelated = ['other.log', 'sftpgo-notatime.log', 'sftpgo-2020-01-01T00-00-00.000.txt'];
    for (const name of [old, oldCompressed, recent, ...unrelated]) {
      await writeFile(join(tmp.path, name), 'x\n');
    }
    const stream = new RotatingFileStream(logPath, { maxSizeBytes: 8, maxAgeDays: 7 });
    stream.write('line 1\n');
    stream.write('line 2\n');
    await stream.close();
    const names = await readdir(tmp.path);
    expect(names).not.toContain(old);
    expect(names).not.toContain(oldCompressed);
    expect(names).toContain(recent);
    for (const name of unrelated) expect(names).toContain(name);
    expect(await backups()).toHaveLength(2);
  });

  it('gzips rotated files, with exactly their lines, and removes the plain copies', async () => {
    const stream = new RotatingFileStream(logPath, { maxSizeBytes: 16, compress: true });
    const lines = Array.from({ length: 10 }, (_, i) => `line number ${i}\n`);
    for (const line of lines) stream.write(line);
    await stream.close();
    const names = await backups();
    expect(names).toHaveLength(9);
    for (const name of names) {
      expect(name).toMatch(/\.log\.gz$/);
      // gunzipSync throws on anything but valid gzip.
      expect(gunzipSync(await readFile(join(tmp.path, name))).toString()).toMatch(
        /^line number \d\n$/,
      );
    }
    expect(await allContent()).toBe(lines.join(''));
  });

  it.each([false, true])(
    'loses and duplicates no line over 5 rotations of 2,000 quick lines (compress: %s)',
    async (compress) => {
      const lines = Array.from(
        { length: 2000 },
        (_, i) => `{"level":"info","n":${String(i).padStart(4, '0')}}\n`,
      );
      const total = lines.reduce((n, l) => n + l.length, 0);
      const stream = new RotatingFileStream(logPath, {
        maxSizeBytes: Math.ceil(total / 5.5),
        compress,
      });
      for (const line of lines) stream.write(line);
      await stream.close();
      const names = await backups();
      expect(names).toHaveLength(5);
      for (const name of names) expect(name.endsWith('.gz')).toBe(compress);
      expect(await allContent()).toBe(lines.join(''));
    },
  );

  it('reports cleanup and compression failures to onError and carries on', async () => {
    const stuck = `sftpgo-${backupTimestamp(Date.now() - 60_000)}.log`;
    await writeFile(join(tmp.path, stuck), 'kept\n');
    // A folder where its compressed copy should go: gzip cannot write there.
    await mkdir(join(tmp.path, `${stuck}.gz`));
    const errors: Error[] = [];
    const stream = new RotatingFileStream(logPath, {
      maxSizeBytes: 8,
      compress: true,
      onError: (e) => errors.push(e),
    });
    stream.write('line 1\n');
    stream.write('line 2\n');
    await stream.close();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.message).toMatch(/cannot compress/);
    // The plain copy is still there, with its lines; the new backup is compressed.
    expect(await content(stuck)).toBe('kept\n');
    const compressed = (await backups()).filter((n) => n.endsWith('.gz') && n !== `${stuck}.gz`);
    expect(compressed).toHaveLength(1);
    expect(await content(compressed[0]!)).toBe('line 1\n');
    expect(await content('sftpgo.log')).toBe('line 2\n');
  });

  it('rejects invalid sizes and counts', () => {
    expect(() => new RotatingFileStream(logPath, { maxBackups: -1 })).toThrow(RangeError);
    expect(() => new RotatingFileStream(logPath, { maxSizeMB: Number.NaN })).toThrow(RangeError);
  });
});
