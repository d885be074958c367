import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, ConnectionLost } from '../src/io.js';

describe('ByteReader', () => {
  it('hands out the chunks the stream gives, without joining them', async () => {
    const input = new PassThrough();
    const reader = new ByteReader(input);
    const first = Buffer.from('first chunk');
    const second = Buffer.from('second');
    input.write(first);
    input.write(second);
    const a = await reader.next(1024);
    const b = await reader.next(1024);
    expect(a?.toString()).toBe('first chunk');
    expect(b?.toString()).toBe('second');
    // the very memory the stream gave: nothing was copied
    expect(a?.buffer).toBe(first.buffer);
    reader.dispose();
  });

  it('pauses the stream while more than 256 KiB wait to be read, and resumes it', async () => {
    const input = new PassThrough({ highWaterMark: 64 * 1024 });
    const reader = new ByteReader(input);
    const chunk = Buffer.alloc(32 * 1024, 1);
    let written = 0;
    for (let i = 0; i < 64; i++) {
      written += chunk.length;
      if (!input.write(chunk)) break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    // the writer was told to wait well before 2 MiB went through
    expect(written).toBeLessThan(512 * 1024);
    expect(input.isPaused()).toBe(true);
    let read = 0;
    for (let i = 0; i < 64 && read < written; i++)
      read += (await reader.next(1 << 20))?.length ?? 0;
    expect(read).toBe(written);
    expect(input.isPaused()).toBe(false);
    reader.dispose();
  });

  it('gives the stream back what it did not hand out when disposed', async () => {
    const input = new PassThrough();
    const reader = new ByteReader(input);
    input.write('line\nrest of it');
    const line = await reader.readLine(100);
    expect(line.kind === 'line' && line.line.toString()).toBe('line');
    reader.dispose();
    expect(input.read()?.toString()).toBe('rest of it');
  });
});

describe('ByteWriter.writeAndAwaitCallback', () => {
  it('resolves once the stream has called back', async () => {
    const output = new PassThrough();
    const writer = new ByteWriter(output);
    await writer.writeAndAwaitCallback(Buffer.from('data'));
    expect(output.read()?.toString()).toBe('data');
    writer.dispose();
  });

  it('fails with ConnectionLost when the stream closes before calling back', async () => {
    // as an ssh2 channel closed under a write: the callback never comes
    const output = new PassThrough({ write: () => {} });
    const writer = new ByteWriter(output);
    const written = writer.writeAndAwaitCallback(Buffer.from('data'));
    output.destroy();
    await expect(written).rejects.toBeInstanceOf(ConnectionLost);
    writer.dispose();
  });
});
