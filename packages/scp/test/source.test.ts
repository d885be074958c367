import { randomBytes } from 'node:crypto';
import { chmod, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { duplexPair, makeTempDir } from '@sftpgo/test-utils';
import { OsFs } from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseScpCommand, runScp, type ScpOptions } from '../src/index.js';
import { type Peer, startScp } from './peer.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let home: string;
let fs: OsFs;

beforeEach(async () => {
  tmp = await makeTempDir('sftpgo-scp-');
  home = join(tmp.path, 'home');
  fs = await OsFs.create(home);
});

afterEach(() => tmp.remove());

/** Receives one file as a client does, acknowledging each step. */
async function receiveFile(peer: Peer, header: string): Promise<string> {
  expect(await peer.record()).toBe(header);
  return receiveData(peer, header);
}

/** The data of a file whose header was read. */
async function receiveData(peer: Peer, header: string): Promise<string> {
  peer.send('\0');
  const size = Number(header.split(' ')[1]);
  const data = await peer.bytes(size);
  expect(await peer.reply()).toBe('ok');
  peer.send('\0');
  return data.toString('utf8');
}

describe('scp -f (source)', () => {
  it('sends a file once the client is ready', async () => {
    await writeFile(join(home, 'hello.txt'), 'hello', { mode: 0o640 });
    const { peer, result } = startScp(['scp', '-f', '/hello.txt'], fs);
    peer.send('\0');
    expect(await receiveFile(peer, 'C0640 5 hello.txt')).toBe('hello');
    expect(await result).toEqual({ exitCode: 0 });
    expect(await peer.rest()).toBe('');
  });

  it('sends a zero-length file and relative paths', async () => {
    await mkdir(join(home, 'dir'));
    await writeFile(join(home, 'dir/empty'), '', { mode: 0o644 });
    const { peer, result } = startScp(['scp', '-f', 'dir/empty'], fs);
    peer.send('\0');
    expect(await receiveFile(peer, 'C0644 0 empty')).toBe('');
    expect((await result).exitCode).toBe(0);
  });

  it('sends times first with -p', async () => {
    await writeFile(join(home, 'f'), 'x', { mode: 0o600 });
    await utimes(join(home, 'f'), 1_400_000_000, 1_500_000_000.25);
    const { peer, result } = startScp(['scp', '-p', '-f', '/f'], fs);
    peer.send('\0');
    expect(await peer.record()).toBe('T1500000000 0 1400000000 0');
    peer.send('\0');
    expect(await receiveFile(peer, 'C0600 1 f')).toBe('x');
    expect((await result).exitCode).toBe(0);
  });

  it('reports a missing file and sends the next one', async () => {
    await writeFile(join(home, 'b'), 'bb', { mode: 0o644 });
    const { peer, result } = startScp(['scp', '-f', '/missing', '/b'], fs);
    peer.send('\0');
    expect(await peer.record()).toBe('\x01scp: /missing: No such file or directory');
    expect(await receiveFile(peer, 'C0644 2 b')).toBe('bb');
    expect(await result).toEqual({
      exitCode: 1,
      error: 'scp: /missing: No such file or directory',
    });
  });

  it('refuses a directory without -r, and the root by name', async () => {
    await mkdir(join(home, 'd'));
    const { peer, result } = startScp(['scp', '-f', 'd/', '/'], fs);
    peer.send('\0');
    expect(await peer.record()).toBe('\x01scp: d: not a regular file');
    expect(await peer.record()).toBe('\x01scp: /: the root directory has no name to send');
    expect((await result).exitCode).toBe(1);
  });

  it('sends a tree with -r and -p', async () => {
    await mkdir(join(home, 'top/sub'), { recursive: true });
    await writeFile(join(home, 'top/sub/f'), 'deep', { mode: 0o644 });
    await utimes(join(home, 'top/sub'), 1_200_000_000, 1_200_000_000);
    const { peer, result } = startScp(['scp', '-r', '-p', '-f', '/top'], fs);
    peer.send('\0');
    const records: string[] = [];
    for (;;) {
      const record = await peer.record();
      if (record === 'eof') break;
      records.push(record.replace(/^T\d+ 0 \d+ 0$/, 'T'));
      if (record.startsWith('C')) {
        peer.send('\0');
        records.push((await peer.bytes(Number(record.split(' ')[1]))).toString());
        expect(await peer.reply()).toBe('ok');
      }
      peer.send('\0');
    }
    expect(records).toEqual([
      'T',
      'D0755 0 top',
      'T',
      'D0755 0 sub',
      'T',
      'C0644 4 f',
      'deep',
      'E',
      'E',
    ]);
    expect((await result).exitCode).toBe(0);
  });

  it('follows links to files in a tree, not links to directories', async () => {
    await mkdir(join(home, 'top'));
    await writeFile(join(home, 'target.txt'), 'linked', { mode: 0o644 });
    await symlink('../target.txt', join(home, 'top/link'));
    await symlink('..', join(home, 'top/loop'));
    const { peer, result } = startScp(['scp', '-r', '-f', '/top'], fs);
    peer.send('\0');
    expect(await peer.record()).toBe('D0755 0 top');
    peer.send('\0');
    const seen: string[] = [];
    for (;;) {
      const record = await peer.record();
      if (record === 'E') break;
      if (record.startsWith('\x01')) {
        seen.push(record);
        continue;
      }
      seen.push(await receiveData(peer, record));
    }
    peer.send('\0');
    expect(seen.sort()).toEqual([
      '\x01scp: /top/loop: symbolic link to a directory, not followed',
      'linked',
    ]);
    expect((await result).exitCode).toBe(1);
  });

  it('skips a file the client refuses, and goes on', async () => {
    await writeFile(join(home, 'a'), 'aaa', { mode: 0o644 });
    await writeFile(join(home, 'b'), 'bbb', { mode: 0o644 });
    const { peer, result } = startScp(['scp', '-f', '/a', '/b'], fs);
    peer.send('\0');
    expect(await peer.record()).toBe('C0644 3 a');
    peer.send('\x01scp: a: Permission denied\n');
    expect(await receiveFile(peer, 'C0644 3 b')).toBe('bbb');
    expect(await result).toEqual({ exitCode: 1, error: 'scp: a: Permission denied' });
  });

  it('stops at a fatal error from the client', async () => {
    await writeFile(join(home, 'a'), 'aaa');
    await writeFile(join(home, 'b'), 'bbb');
    const { peer, result } = startScp(['scp', '-f', '/a', '/b'], fs);
    peer.send('\0');
    expect(await peer.record()).toMatch(/^C0\d{3} 3 a$/);
    peer.send('\x02scp: disk full\n');
    expect(await result).toEqual({ exitCode: 1, error: 'scp: disk full' });
    expect(await peer.rest()).toBe('');
  });

  it('ends when the client goes away', async () => {
    await writeFile(join(home, 'a'), 'aaa');
    const { peer, result } = startScp(['scp', '-f', '/a'], fs);
    peer.send('\0');
    await peer.record();
    peer.end();
    expect(await result).toEqual({ exitCode: 1, error: 'scp: lost connection' });
  });

  /**
   * Downloads a 3 MiB random file through an output that answers as a slow
   * client does; `copy` says whether the output copies each chunk before it
   * calls back, as an SSH channel does, or keeps the very buffer.
   */
  async function downloadThroughSlowOutput(copy: boolean) {
    const data = randomBytes(3 * 1024 * 1024 + 11);
    await writeFile(join(home, 'big'), data);
    await chmod(join(home, 'big'), 0o644);
    const header = `C0644 ${data.length} big\n`;
    const total = header.length + data.length + 1;
    const options = parseScpCommand(['scp', '-f', '/big']) as ScpOptions;
    const [input, client] = duplexPair();
    const chunks: Buffer[] = [];
    let sentBytes = 0;
    let maxBuffered = 0;
    // a slow link, answering as a client does: after the header and after the data
    const output = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, cb) {
        maxBuffered = Math.max(maxBuffered, this.writableLength);
        sentBytes += chunk.length;
        if (!copy) chunks.push(chunk);
        setTimeout(() => {
          // a copy made as late as the contract allows: just before calling back
          if (copy) chunks.push(Buffer.from(chunk));
          if (chunks.length === 1 || sentBytes === total) client.write('\0');
          cb();
        }, 1);
      },
    });
    const result = runScp(options, { input, output, outputCopies: copy }, fs);
    client.write('\0');
    expect(await result).toEqual({ exitCode: 0 });
    const sent = Buffer.concat(chunks);
    expect(sent.subarray(0, header.length).toString()).toBe(header);
    expect(sent.subarray(header.length, header.length + data.length).equals(data)).toBe(true);
    expect(sent.length).toBe(total);
    return { chunks, maxBuffered };
  }

  it('sends in chunks of at most 256 KiB and waits for the output to drain', async () => {
    const { chunks, maxBuffered } = await downloadThroughSlowOutput(false);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(256 * 1024);
    // never more than the chunk being written and the one read ahead
    expect(maxBuffered).toBeLessThanOrEqual(2 * 256 * 1024);
  });

  it('reads into two buffers in turn when the output copies what it is given', async () => {
    const { maxBuffered } = await downloadThroughSlowOutput(true);
    // a chunk is read again into its buffer only once the output called back
    expect(maxBuffered).toBeLessThanOrEqual(256 * 1024);
  });
});

describe('parseScpCommand', () => {
  it('parses the server side of OpenSSH and of other clients', () => {
    expect(parseScpCommand(['scp', '-v', '-r', '-p', '-d', '-t', '--', '/x'])).toEqual({
      mode: 'sink',
      recursive: true,
      preserve: true,
      targetIsDirectory: true,
      verbose: true,
      quiet: false,
      paths: ['/x'],
    });
    expect(parseScpCommand(['/usr/bin/scp', '-qprf', 'a', '-b'])).toMatchObject({
      mode: 'source',
      quiet: true,
      preserve: true,
      recursive: true,
      paths: ['a', '-b'],
    });
    expect(parseScpCommand(['scp', '-f', '--', '-dash'])).toMatchObject({ paths: ['-dash'] });
  });

  it('refuses what is not a server-side scp', () => {
    const message = (argv: string[]) => (parseScpCommand(argv) as Error).message;
    expect(message([])).toBe('scp: not an scp command');
    expect(message(['sftp', '-t', 'x'])).toBe('scp: not an scp command');
    expect(message(['scp', 'a', 'host:b'])).toMatch(/only the server side/);
    expect(message(['scp', '-t', '-f', 'x'])).toMatch(/cannot be used together/);
    expect(message(['scp', '-t'])).toMatch(/no path given/);
    expect(message(['scp', '-t', 'a', 'b'])).toMatch(/ambiguous target/);
    expect(message(['scp', '-S', 'prog', '-t', 'x'])).toMatch(/unsupported option -- S/);
  });
});
