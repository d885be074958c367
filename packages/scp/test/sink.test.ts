import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { duplexPair, eventually, makeTempDir } from '@sftpgo/test-utils';
import {
  type FileHandle,
  ForwardingFileHandle,
  ForwardingFs,
  type Fs,
  type OpenFlags,
  OsFs,
  VfsError,
} from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseScpCommand, runScp, type ScpOptions } from '../src/index.js';
import { Peer, startScp } from './peer.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let home: string;
let fs: OsFs;

beforeEach(async () => {
  tmp = await makeTempDir('sftpgo-scp-');
  home = join(tmp.path, 'home');
  fs = await OsFs.create(home);
  await mkdir(join(home, 'in'));
});

afterEach(() => tmp.remove());

/** Every entry below `dir`, as relative paths, sorted. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe('scp -t (sink)', () => {
  it('receives a file into a target directory', async () => {
    const { peer, result } = startScp(['scp', '-t', '/in'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send('C0644 5 hello.txt\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('hello\0');
    expect(await peer.reply()).toBe('ok');
    peer.end();
    expect(await result).toEqual({ exitCode: 0 });
    expect(await readFile(join(home, 'in/hello.txt'), 'utf8')).toBe('hello');
  });

  it('receives a file under the target name when the target is not a directory', async () => {
    const { peer, result } = startScp(['scp', '-t', 'in/renamed.txt'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send('C0644 3 original.txt\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('abc\0');
    expect(await peer.reply()).toBe('ok');
    peer.end();
    expect((await result).exitCode).toBe(0);
    expect(await tree(join(home, 'in'))).toEqual(['renamed.txt']);
  });

  it('receives a zero-length file and overwrites an existing one', async () => {
    await writeFile(join(home, 'in/empty'), 'previous content');
    const { peer, result } = startScp(['scp', '-t', '/in'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send('C0644 0 empty\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('\0');
    expect(await peer.reply()).toBe('ok');
    peer.end();
    expect((await result).exitCode).toBe(0);
    expect((await stat(join(home, 'in/empty'))).size).toBe(0);
  });

  it('receives several files in one command, data split across writes', async () => {
    const { peer, result } = startScp(['scp', '-d', '-t', '/in'], fs);
    expect(await peer.reply()).toBe('ok');
    for (const [name, body] of [
      ['a', 'first'],
      ['name with spaces', 'second'],
    ] as const) {
      peer.send(`C0600 ${body.length} ${name}\n`);
      expect(await peer.reply()).toBe('ok');
      peer.send(body.slice(0, 2));
      peer.send(`${body.slice(2)}\0`);
      expect(await peer.reply()).toBe('ok');
    }
    peer.end();
    expect((await result).exitCode).toBe(0);
    expect(await readFile(join(home, 'in/name with spaces'), 'utf8')).toBe('second');
    expect((await stat(join(home, 'in/a'))).mode & 0o777).toBe(0o600);
  });

  it('applies times and mode with -p', async () => {
    const { peer, result } = startScp(['scp', '-p', '-t', '/in'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send('T1500000000 0 1400000000 0\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('C0640 2 timed\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('hi\0');
    expect(await peer.reply()).toBe('ok');
    peer.end();
    expect((await result).exitCode).toBe(0);
    const st = await stat(join(home, 'in/timed'));
    expect(st.mtimeMs).toBe(1_500_000_000_000);
    expect(st.atimeMs).toBe(1_400_000_000_000);
    expect(st.mode & 0o777).toBe(0o640);
  });

  it('receives a tree with -r, with directory times and modes under -p', async () => {
    const { peer, result } = startScp(['scp', '-r', '-p', '-t', '/in'], fs);
    const step = async (record: string) => {
      peer.send(record);
      expect(await peer.reply()).toBe('ok');
    };
    expect(await peer.reply()).toBe('ok');
    await step('T1300000000 0 1300000000 0\n');
    await step('D0750 0 top\n');
    await step('C0644 1 f1\n');
    await step('1\0');
    await step('D0755 0 sub\n');
    await step('C0644 2 f2\n');
    await step('22\0');
    await step('E\n');
    await step('E\n');
    peer.end();
    expect((await result).exitCode).toBe(0);
    expect(await tree(join(home, 'in'))).toEqual(['top', 'top/f1', 'top/sub', 'top/sub/f2']);
    const top = await stat(join(home, 'in/top'));
    expect(top.mode & 0o777).toBe(0o750);
    expect(top.mtimeMs).toBe(1_300_000_000_000);
  });

  it('creates the target itself for a directory when it does not exist', async () => {
    const { peer, result } = startScp(['scp', '-r', '-t', '/in/newdir'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send('D0755 0 src\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('C0644 1 x\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('x\0');
    expect(await peer.reply()).toBe('ok');
    peer.send('E\n');
    expect(await peer.reply()).toBe('ok');
    peer.end();
    expect((await result).exitCode).toBe(0);
    expect(await tree(join(home, 'in'))).toEqual(['newdir', 'newdir/x']);
  });

  it('refuses a directory without -r', async () => {
    const { peer, result } = startScp(['scp', '-t', '/in'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send('D0755 0 dir\n');
    expect(await peer.reply()).toBe('\x02scp: protocol error: received a directory without -r');
    expect((await result).exitCode).toBe(1);
    expect(await tree(join(home, 'in'))).toEqual([]);
  });

  it('with -d, refuses a target that is not a directory', async () => {
    await writeFile(join(home, 'file'), 'x');
    const { peer, result } = startScp(['scp', '-d', '-t', '/file'], fs);
    expect(await peer.reply()).toBe('\x02scp: /file: Not a directory');
    expect(await result).toEqual({ exitCode: 1, error: 'scp: /file: Not a directory' });
  });

  it('refuses a directory record over an existing file and goes on', async () => {
    await writeFile(join(home, 'in/taken'), 'x');
    const { peer, result } = startScp(['scp', '-r', '-t', '/in'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send('D0755 0 taken\n');
    expect(await peer.reply()).toBe('\x01scp: /in/taken: Not a directory');
    peer.send('C0644 1 next\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('n\0');
    expect(await peer.reply()).toBe('ok');
    peer.end();
    expect((await result).exitCode).toBe(1);
    expect(await readFile(join(home, 'in/next'), 'utf8')).toBe('n');
  });

  it('notes the errors the client reports and goes on; stops at a fatal one', async () => {
    const { peer, result } = startScp(['scp', '-t', '/in'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send('\x01scp: local.txt: No such file or directory\n');
    peer.send('C0644 1 ok\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('k\0');
    expect(await peer.reply()).toBe('ok');
    peer.send('\x02scp: giving up\n');
    expect(await result).toEqual({ exitCode: 1, error: 'scp: giving up' });
    expect(await peer.rest()).toBe('');
  });

  it('removes a file the client could not read to the end', async () => {
    const { peer, result } = startScp(['scp', '-t', '/in'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send('C0644 4 broken\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('\0\0\0\0\x01scp: broken: Input/output error\n');
    expect(await peer.reply()).toBe('ok');
    peer.end();
    expect((await result).exitCode).toBe(1);
    expect(await tree(join(home, 'in'))).toEqual([]);
  });

  it('gathers the 32 KiB chunks of a channel into writes of 256 KiB', async () => {
    const writes: number[] = [];
    class Recording extends ForwardingFs {
      override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
        const inner = await super.open(path, flags, mode);
        return new (class extends ForwardingFileHandle {
          override write(b: Buffer, o: number, l: number, p: number): Promise<number> {
            writes.push(l);
            return super.write(b, o, l, p);
          }
        })(inner);
      }
    }
    const data = randomBytes(1024 * 1024 + 7);
    const { peer, result } = startScp(['scp', '-t', '/in'], new Recording(fs));
    expect(await peer.reply()).toBe('ok');
    peer.send(`C0644 ${data.length} big\n`);
    expect(await peer.reply()).toBe('ok');
    // as an SSH channel gives them
    for (let at = 0; at < data.length; at += 32 * 1024) {
      peer.send(data.subarray(at, at + 32 * 1024));
    }
    peer.send(Buffer.from([0]));
    expect(await peer.reply()).toBe('ok');
    peer.end();
    expect((await result).exitCode).toBe(0);
    expect(writes).toEqual([256 * 1024, 256 * 1024, 256 * 1024, 256 * 1024, 7]);
    expect((await readFile(join(home, 'in/big'))).equals(data)).toBe(true);
  });

  it('accepts sizes beyond 4 GiB', async () => {
    const { peer, result } = startScp(['scp', '-t', '/in'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send(`C0644 ${5 * 1024 ** 3} huge\n`);
    expect(await peer.reply()).toBe('ok');
    peer.send('only a little');
    peer.end();
    expect((await result).exitCode).toBe(1);
    expect(await tree(join(home, 'in'))).toEqual([]);
  });
});

/** Refuses opens and writes the way a session's permission and quota checks do. */
class PolicyFs extends ForwardingFs {
  aborted: string[] = [];

  constructor(
    inner: Fs,
    private readonly writeLimit: number,
  ) {
    super(inner);
  }

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    if (path.endsWith('/denied')) throw new VfsError('permission', 'permission denied', path);
    const inner = await super.open(path, flags, mode);
    const limit = this.writeLimit;
    const aborted = this.aborted;
    let written = 0;
    return new (class extends ForwardingFileHandle {
      override write(b: Buffer, o: number, l: number, p: number): Promise<number> {
        written += l;
        if (written > limit) {
          return Promise.reject(new VfsError('quota-exceeded', 'quota exceeded', path));
        }
        return super.write(b, o, l, p);
      }
      override async abort(): Promise<void> {
        aborted.push(path);
        await this.inner.close();
      }
    })(inner);
  }
}

describe('scp -t with a session policy', () => {
  it('refuses one file before its data and receives the next', async () => {
    const policy = new PolicyFs(fs, Number.MAX_SAFE_INTEGER);
    const { peer, result } = startScp(['scp', '-t', '/in'], policy);
    expect(await peer.reply()).toBe('ok');
    peer.send('C0644 5 denied\n');
    expect(await peer.reply()).toBe('\x01scp: /in/denied: Permission denied');
    peer.send('C0644 2 allowed\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('ok\0');
    expect(await peer.reply()).toBe('ok');
    peer.end();
    expect(await result).toEqual({ exitCode: 1, error: 'scp: /in/denied: Permission denied' });
    expect(await tree(join(home, 'in'))).toEqual(['allowed']);
  });

  it.each([
    ['in one piece', 1024 * 1024],
    // as an SSH channel gives it: gathered into writes, one written while the next fills
    ['in 32 KiB pieces', 32 * 1024],
  ])(
    'skips the rest of a file that fails midway, sent %s, aborts it, and goes on',
    async (_how, piece) => {
      const policy = new PolicyFs(fs, 300 * 1024);
      const { peer, result } = startScp(['scp', '-t', '/in'], policy);
      expect(await peer.reply()).toBe('ok');
      const big = Buffer.alloc(1024 * 1024, 'q');
      peer.send(`C0644 ${big.length} over-quota\n`);
      expect(await peer.reply()).toBe('ok');
      for (let at = 0; at < big.length; at += piece) peer.send(big.subarray(at, at + piece));
      // aborted as the write fails, while the client has yet to send its status
      await eventually(async () => expect(policy.aborted).toEqual(['/in/over-quota']));
      peer.send('\0');
      expect(await peer.reply()).toBe('\x01scp: /in/over-quota: Disk quota exceeded');
      peer.send('C0644 1 small\n');
      expect(await peer.reply()).toBe('ok');
      peer.send('s\0');
      // the quota of this test's fs counts per file
      expect(await peer.reply()).toBe('ok');
      peer.end();
      expect((await result).exitCode).toBe(1);
      expect(policy.aborted).toEqual(['/in/over-quota']);
    },
  );

  it('aborts the handle when the client goes away mid-file', async () => {
    const policy = new PolicyFs(fs, Number.MAX_SAFE_INTEGER);
    const { peer, result } = startScp(['scp', '-t', '/in'], policy);
    expect(await peer.reply()).toBe('ok');
    peer.send('C0644 100 partial\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('x'.repeat(40));
    peer.end();
    expect(await result).toEqual({
      exitCode: 1,
      error: 'scp: lost connection while receiving /in/partial',
    });
    expect(policy.aborted).toEqual(['/in/partial']);
  });
});

describe('scp -t and stderr', () => {
  async function run(script: (peer: Peer) => Promise<void>): Promise<string> {
    const [server, client] = duplexPair();
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (d) => {
      text += d;
    });
    const options = parseScpCommand(['scp', '-t', '/in']) as ScpOptions;
    const result = runScp(options, { input: server, output: server, stderr }, fs);
    await script(new Peer(client));
    expect((await result).exitCode).toBe(1);
    return text;
  }

  it('tells on stderr what the client can no longer read on the channel', async () => {
    const text = await run(async (peer) => {
      expect(await peer.reply()).toBe('ok');
      peer.send('C0644 9 cut\n');
      expect(await peer.reply()).toBe('ok');
      peer.end();
    });
    expect(text).toBe('scp: lost connection while receiving /in/cut\n');
  });

  it('does not repeat on stderr an error sent on the channel', async () => {
    const text = await run(async (peer) => {
      expect(await peer.reply()).toBe('ok');
      peer.send('Cxxxx 1 a\n');
      expect(await peer.reply()).toBe('\x02scp: protocol error: bad mode in "Cxxxx 1 a"');
    });
    expect(text).toBe('');
  });
});
