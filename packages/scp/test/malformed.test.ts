import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { OsFs } from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startScp } from './peer.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let home: string;
let fs: OsFs;

beforeEach(async () => {
  tmp = await makeTempDir('sftpgo-scp-');
  home = join(tmp.path, 'home');
  fs = await OsFs.create(home);
  await mkdir(join(home, 'target'));
});

afterEach(() => tmp.remove());

/** Nothing was created anywhere: not in the target, not next to it, not outside the root. */
async function expectNothingWritten(): Promise<void> {
  expect((await readdir(tmp.path, { recursive: true })).map(String).sort()).toEqual([
    'home',
    'home/target',
  ]);
}

describe('malformed headers end the transfer with a fatal error and leave no file', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['a mode of three digits', 'C064 5 a\n', /bad mode/],
    ['a mode with a non-octal digit', 'C0648 5 a\n', /bad mode/],
    ['a mode that is not a number', 'Cabcd 5 a\n', /bad mode/],
    ['a mode not followed by a space', 'C06444 5 a\n', /mode not delimited/],
    ['a negative size', 'C0644 -5 a\n', /size not present/],
    ['a non-numeric size', 'C0644 five a\n', /size not present/],
    ['a size with trailing garbage', 'C0644 5x a\n', /size not delimited/],
    ['a size beyond 2^53 - 1', 'C0644 9007199254740992 a\n', /size out of range/],
    ['a huge size', `C0644 ${'9'.repeat(400)} a\n`, /size out of range/],
    ['a header without a name', 'C0644 5\n', /size not delimited/],
    ['an unknown record type', 'X0644 5 a\n', /expected a control record/],
    ['garbage from a shell', 'No match.\n', /expected a control record, got "No match."/],
    ['an empty line', '\n', /expected a control record/],
    ['malformed times', 'T1500000000 0 1400000000\n', /malformed times record/],
    ['times that are not numbers', 'Tnow 0 then 0\n', /malformed times record/],
    ['an end of directory at the top', 'E\n', /end of directory outside a directory/],
    ['an end record with trailing bytes', 'Ex\n', /malformed record/],
    ['a record longer than any name', `C0644 1 ${'n'.repeat(10_000)}\n`, /longer than/],
  ];

  for (const [what, header, reason] of cases) {
    it(`refuses ${what}`, async () => {
      const { peer, result } = startScp(['scp', '-r', '-t', '/target'], fs);
      expect(await peer.reply()).toBe('ok');
      peer.send(header);
      peer.send('hello\0');
      const reply = await peer.reply();
      expect(reply.startsWith('\x02scp: protocol error: ')).toBe(true);
      expect(reply).toMatch(reason);
      const end = await result;
      expect(end.exitCode).toBe(1);
      expect(end.error).toMatch(reason);
      await expectNothingWritten();
    });
  }

  it('refuses a header not ended by a newline before the stream ends', async () => {
    const { peer, result } = startScp(['scp', '-t', '/target'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send('C0644 5 a');
    peer.end();
    expect(await peer.reply()).toBe(
      '\x02scp: protocol error: control record "C0644 5 a" not ended by a newline',
    );
    expect((await result).exitCode).toBe(1);
    await expectNothingWritten();
  });

  it('removes a file whose data is cut short', async () => {
    const { peer, result } = startScp(['scp', '-t', '/target'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send('C0644 10 short\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('12345');
    peer.end();
    expect((await result).exitCode).toBe(1);
    await expectNothingWritten();
  });

  it('removes a file followed by a bad status byte', async () => {
    const { peer, result } = startScp(['scp', '-t', '/target'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send('C0644 3 extra\n');
    expect(await peer.reply()).toBe('ok');
    peer.send('abcdef\n');
    expect(await peer.reply()).toBe('\x02scp: protocol error: unexpected response byte 0x64');
    expect((await result).exitCode).toBe(1);
    await expectNothingWritten();
  });
});

describe('names that do not name one entry of the target are refused, and the transfer goes on', () => {
  const names = ['../x', 'a/b', '..', '.', '', '/etc/passwd', '..\\..\\x', 'a\\b', 'nul\0byte'];

  for (const name of names) {
    for (const type of ['C', 'D'] as const) {
      it(`refuses ${type} ${JSON.stringify(name)}`, async () => {
        const { peer, result } = startScp(['scp', '-r', '-t', '/target'], fs);
        expect(await peer.reply()).toBe('ok');
        peer.send(`${type}0644 ${type === 'C' ? 5 : 0} ${name}\n`);
        const reply = await peer.reply();
        expect(reply.startsWith('\x01scp: error: unexpected filename')).toBe(true);
        // the client skips what it would have sent; the next entry is received
        peer.send('C0644 2 ok\n');
        expect(await peer.reply()).toBe('ok');
        peer.send('ok\0');
        expect(await peer.reply()).toBe('ok');
        peer.end();
        expect((await result).exitCode).toBe(1);
        expect((await readdir(join(home, 'target'))).sort()).toEqual(['ok']);
        expect((await readdir(tmp.path)).sort()).toEqual(['home']);
        expect((await readdir(home)).sort()).toEqual(['target']);
      });
    }
  }

  it('refuses a name that is not UTF-8', async () => {
    const { peer, result } = startScp(['scp', '-t', '/target'], fs);
    expect(await peer.reply()).toBe('ok');
    peer.send(
      Buffer.concat([Buffer.from('C0644 1 '), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]),
    );
    expect(await peer.reply()).toBe('\x01scp: error: unexpected filename: "ÿþ" is not UTF-8');
    peer.end();
    expect((await result).exitCode).toBe(1);
    await expectNothingWritten();
  });
});

describe('errors a client sends without end', () => {
  it('keeps only the first ones, however many arrive', async () => {
    const { PassThrough } = await import('node:stream');
    const { ScpContext, MAX_ERRORS_KEPT } = await import('../src/common.js');
    const { ByteReader, ByteWriter } = await import('../src/io.js');
    const input = new PassThrough();
    const output = new PassThrough();
    const ctx = new ScpContext(
      {
        mode: 'sink',
        recursive: false,
        preserve: false,
        targetIsDirectory: false,
        verbose: false,
        quiet: false,
        paths: ['/target'],
      },
      fs,
      new ByteReader(input),
      new ByteWriter(output),
    );
    for (let i = 0; i < 10_000; i++) ctx.noteError(`scp: error ${i}`);
    expect(ctx.errors.length).toBeLessThanOrEqual(MAX_ERRORS_KEPT);
    expect(ctx.errors[0]).toBe('scp: error 0');
  });
});
