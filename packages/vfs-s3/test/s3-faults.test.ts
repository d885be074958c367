import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import { makeTempDir } from '@sftpgo/test-utils';
import type { Fs } from '@sftpgo/vfs';
import { S3Fs } from '@sftpgo/vfs-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Server, startS3rver } from './s3rver-process.js';

// A store that fails part-way through an upload, or never answers: the
// failure must reach the writer in bounded time, with the store's reason.

let s3: S3Server | undefined;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
const BUCKET = 'faults';

beforeAll(async () => {
  tmp = await makeTempDir();
  s3 = await startS3rver(tmp.path, [BUCKET]);
});

afterAll(async () => {
  await s3?.stop();
  await tmp?.remove();
});

/** An error as S3 sends it for a 500, as the SDK parses it. */
const internalError = () =>
  Object.assign(new Error('We encountered an internal error. Please try again.'), {
    name: 'InternalError',
    $metadata: { httpStatusCode: 500 },
  });

/**
 * A client of s3rver whose calls named in `fail` throw that error instead of
 * being sent, and that records every command it is given.
 */
function faultyClient(fail: Readonly<Record<string, (input: Record<string, unknown>) => unknown>>) {
  const client = S3Fs.client({
    bucket: BUCKET,
    endpoint: s3!.endpoint,
    accessKey: 'S3RVER',
    accessSecret: 'S3RVER',
  });
  const commands: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(context.commandName ?? '');
      const answer = fail[context.commandName ?? '']?.(args.input as Record<string, unknown>);
      if (answer instanceof Error) throw answer;
      if (answer !== undefined) return { output: { $metadata: {}, ...answer }, response: {} };
      return next(args);
    },
    { step: 'initialize', name: 'injectFaults' },
  );
  return { client, commands };
}

/** Writes `data` as an SFTP client does (32 KiB writes, 64 in flight) and closes; the first error. */
async function upload(fs: Fs, path: string, data: Buffer): Promise<unknown> {
  const handle = await fs.open(path, { write: true, create: true, truncate: true });
  const inFlight: Promise<unknown>[] = [];
  let failure: unknown;
  const settle = (p: Promise<unknown>) => p.catch((err: unknown) => (failure ??= err));
  for (let at = 0; at < data.length && !failure; at += 32 * 1024) {
    inFlight.push(settle(handle.write(data, at, Math.min(32 * 1024, data.length - at), at)));
    if (inFlight.length >= 64) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await handle.close().catch((err: unknown) => (failure ??= err));
  return failure;
}

const failsPart2 = (input: Record<string, unknown>) =>
  Number(input.PartNumber) >= 2 ? internalError() : undefined;

describe('S3 uploads that fail part-way', () => {
  let client: S3Client | undefined;
  afterAll(() => client?.destroy());

  it('fail the writer instead of hanging it, with the store reason, and abort the upload', async () => {
    // 40 MiB: the writes are held back when the parts fail, which used to wait forever
    const faulty = faultyClient({
      UploadPartCommand: failsPart2,
      AbortMultipartUploadCommand: () => ({}),
    });
    client = faulty.client;
    const fs = new S3Fs({ bucket: BUCKET, client, keyPrefix: 'a/' });
    const failure = await upload(fs, '/big.bin', randomBytes(40 * 1024 * 1024));
    expect(failure).toMatchObject({ code: 'failure', message: 'write "/big.bin": InternalError' });
    expect(faulty.commands.filter((c) => c === 'AbortMultipartUploadCommand')).toHaveLength(1);
    await expect(fs.stat('/big.bin')).rejects.toMatchObject({ code: 'not-found' });
  }, 60_000);

  it('say so when the upload cannot be aborted either, keeping the first reason', async () => {
    // s3rver answers AbortMultipartUpload with 405: the SDK's own abort used to report that instead
    const faulty = faultyClient({ UploadPartCommand: failsPart2 });
    const fs = new S3Fs({ bucket: BUCKET, client: faulty.client, keyPrefix: 'b/' });
    const failure = await upload(fs, '/big.bin', randomBytes(12 * 1024 * 1024));
    faulty.client.destroy();
    expect(failure).toMatchObject({
      message: 'write "/big.bin": InternalError; its parts could not be removed (MethodNotAllowed)',
    });
  }, 60_000);

  it('abort the multipart upload of an abandoned file', async () => {
    const faulty = faultyClient({ AbortMultipartUploadCommand: () => ({}) });
    const fs = new S3Fs({ bucket: BUCKET, client: faulty.client, keyPrefix: 'c/' });
    const handle = await fs.open('/cut.bin', { write: true, create: true, truncate: true });
    const data = randomBytes(12 * 1024 * 1024);
    await handle.write(data, 0, data.length, 0);
    await handle.abort?.();
    faulty.client.destroy();
    expect(faulty.commands).toContain('CreateMultipartUploadCommand');
    expect(faulty.commands.at(-1)).toBe('AbortMultipartUploadCommand');
    await expect(fs.stat('/cut.bin')).rejects.toMatchObject({ code: 'not-found' });
  }, 60_000);
});

describe('an S3 store that never answers', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  let port = 0;

  beforeAll(async () => {
    // accepts connections, reads requests, answers nothing
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('fails a call after the idle timeout, and says so', async () => {
    const options = {
      bucket: BUCKET,
      endpoint: `http://127.0.0.1:${port}`,
      accessKey: 'k',
      accessSecret: 's',
      idleTimeoutMs: 300,
    };
    const client = S3Fs.client(options);
    const fs = new S3Fs({ ...options, client });
    const started = Date.now();
    await expect(fs.stat('/x')).rejects.toThrow(
      'stat "/x": no answer from the storage for 0.3 s (timeout)',
    );
    // three attempts, as the SDK retries a timeout, and not a minute more
    expect(Date.now() - started).toBeLessThan(10_000);
    client.destroy();
  });
});
