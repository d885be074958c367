import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { S3Fs } from '@sftpgo/vfs-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GcsServer, startGcsServer } from '../../../packages/vfs-gcs/test/gcs-server.js';
import { type S3Server, startS3rver } from '../../../packages/vfs-s3/test/s3rver-process.js';
import {
  type Fault,
  type FaultMatch,
  type FaultProxy,
  type ProxiedRequest,
  startFaultProxy,
} from './fault-proxy.js';
import { sftpBatch } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

// What a user of S3 or Google Cloud Storage sees when the store fails in the
// middle of a transfer: `sftpgo serve` reaches each store through a fault
// proxy (fault-proxy.ts), and OpenSSH's sftp is the client.

const PASSWORD = 'faults-pass';
const BUCKET = 'sftpgo';
const MiB = 1024 * 1024;
/** Seconds the server waits on a silent store (SFTPGO_OBJECT_STORE_IDLE_TIMEOUT). */
const IDLE_TIMEOUT_S = 2;
/** A failure must reach the client within this: a hang is a failure of the test. */
const BOUNDED_MS = 30_000;
/** OpenSSH's clients the test drives; without them it cannot run. */
const missing = ['sftp', 'sshpass'].filter((c) => !hasCommand(c));
if (missing.length > 0) {
  console.warn(`object-store-faults: skipped, ${missing.join(' and ')} not installed`);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** One store as the tests see it: the account, its proxy, and the bucket read directly. */
interface Backend {
  readonly name: string;
  readonly username: string;
  readonly keyPrefix: string;
  readonly dialect: 's3' | 'gcs';
  proxy(): FaultProxy;
  filesystem(): Record<string, unknown>;
  /** Every key of the bucket, bypassing the proxy. */
  keys(): Promise<string[]>;
  /** An object's bytes, bypassing the proxy. */
  read(key: string): Promise<Buffer>;
  /** The uploads of parts or chunks after the first one, of the file `name`. */
  laterParts(name: string): FaultMatch;
  /** The ranged reads of the file `name`. */
  reads(name: string): FaultMatch;
  /** Requests one failed part or chunk is sent in, the retries included. */
  readonly attemptsPerPart: number;
  /** The upload, and the part of it, that a request carries. */
  partOf(request: ProxiedRequest): string | undefined;
}

/** `name` matched literally in a pattern. */
const literal = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Requests the proxy gave the fault `rule` to, counted by part. */
function attemptsByPart(b: Backend, rule: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of b.proxy().requests) {
    if (r.fault !== rule) continue;
    const part = b.partOf(r) ?? '?';
    counts.set(part, (counts.get(part) ?? 0) + 1);
  }
  return counts;
}

describe.runIf(missing.length === 0)('object store failures seen over SFTP', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let s3: S3Server | undefined;
  let gcs: GcsServer | undefined;
  let s3Proxy: FaultProxy | undefined;
  let gcsProxy: FaultProxy | undefined;
  let server: ServerProcess;
  let local: string;
  let keep: Buffer;

  const s3Direct = () =>
    S3Fs.client({
      bucket: BUCKET,
      endpoint: s3!.endpoint,
      accessKey: 'S3RVER',
      accessSecret: 'S3RVER',
    });

  const backends: Backend[] = [
    {
      name: 'S3 (s3rver)',
      username: 's3user',
      keyPrefix: 'users/s3user/',
      dialect: 's3',
      proxy: () => s3Proxy!,
      filesystem: () => ({
        provider: 1,
        s3config: {
          bucket: BUCKET,
          region: 'us-east-1',
          access_key: 'S3RVER',
          access_secret: 'S3RVER',
          endpoint: s3Proxy!.endpoint,
          key_prefix: 'users/s3user/',
          // the smallest part S3 allows: a 20 MiB file is four parts
          upload_part_size: 5,
        },
      }),
      async keys() {
        const client = s3Direct();
        const keys: string[] = [];
        for (let token: string | undefined, more = true; more; ) {
          const page = await client.send(
            new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }),
          );
          keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
          token = page.NextContinuationToken;
          more = Boolean(page.IsTruncated && token);
        }
        client.destroy();
        return keys;
      },
      async read(key) {
        const client = s3Direct();
        const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        const data = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
        client.destroy();
        return data;
      },
      laterParts: (name) => ({
        method: 'PUT',
        path: new RegExp(`^/${BUCKET}/users/s3user/${literal(name)}$`),
        query: { partNumber: /^(?!1$)\d+$/, uploadId: true },
      }),
      reads: (name) => ({
        method: 'GET',
        path: new RegExp(`^/${BUCKET}/users/s3user/${literal(name)}$`),
        headers: { range: /^bytes=/ },
      }),
      // the AWS SDK's standard retry strategy: three attempts
      attemptsPerPart: 3,
      partOf: (r) => {
        const query = new URL(r.url, 'http://proxy').searchParams;
        return `${query.get('uploadId')} part ${query.get('partNumber')}`;
      },
    },
    {
      name: 'Google Cloud Storage (JSON API server)',
      username: 'gcsuser',
      keyPrefix: 'users/gcsuser/',
      dialect: 'gcs',
      proxy: () => gcsProxy!,
      filesystem: () => ({
        provider: 2,
        gcsconfig: {
          bucket: BUCKET,
          // a service account key as Google issues them; the test server asks for no token
          credentials: Buffer.from(
            JSON.stringify({
              type: 'service_account',
              project_id: 'sftpgo-test',
              client_email: 'sftpgo@sftpgo-test.iam.gserviceaccount.com',
              private_key_id: 'test',
              private_key: 'not used by the test server',
            }),
          ).toString('base64'),
          key_prefix: 'users/gcsuser/',
        },
      }),
      keys: async () => [...gcs!.objects(BUCKET).keys()],
      read: async (key) => {
        const data = gcs!.objects(BUCKET).get(key);
        if (!data) throw new Error(`no object ${key}`);
        return data;
      },
      // a session's URL names no object: one upload runs at a time here
      laterParts: () => ({
        method: 'PUT',
        path: /^\/upload\/storage\/v1\/b\/[^/]+\/o$/,
        query: { upload_id: true },
        headers: { 'content-range': /^bytes [1-9]\d*-/ },
      }),
      reads: (name) => ({
        method: 'GET',
        path: new RegExp(`/o/${literal(encodeURIComponent(`users/gcsuser/${name}`))}$`),
        query: { alt: /^media$/ },
      }),
      // Google's library retries no chunk of an upload made without a precondition
      attemptsPerPart: 1,
      // the first failed chunk ends the upload: one per session
      partOf: (r) => new URL(r.url, 'http://proxy').searchParams.get('upload_id') ?? undefined,
    },
  ];

  beforeAll(async () => {
    tmp = await makeTempDir();
    local = join(tmp.path, 'local');
    await mkdir(local);
    // Four S3 parts of 5 MiB, three GCS chunks of 8 MiB at most: more than the parts in
    // flight, so that the client's writes are held back when a part fails.
    await writeFile(join(local, 'big.bin'), randomBytes(20 * MiB));
    // larger than one ranged read (2 MiB): a download of it is two requests at least
    keep = randomBytes(3 * MiB);
    await writeFile(join(local, 'keep.bin'), keep);
    await writeFile(join(local, 'small.txt'), 'small file\n');
    s3 = await startS3rver(join(tmp.path, 's3'), [BUCKET]);
    gcs = await startGcsServer([BUCKET]);
    s3Proxy = await startFaultProxy(s3.endpoint);
    gcsProxy = await startFaultProxy(gcs.endpoint);
    let api: string;
    ({ server, api } = await startLoopbackServer(
      tmp.path,
      {},
      {},
      {},
      {
        // Google's library's own setting for another endpoint than Google's
        STORAGE_EMULATOR_HOST: gcsProxy.endpoint,
        SFTPGO_OBJECT_STORE_IDLE_TIMEOUT: String(IDLE_TIMEOUT_S),
      },
    ));
    for (const b of backends) {
      await addUser(api, {
        username: b.username,
        password: PASSWORD,
        home_dir: join(tmp.path, 'homes', b.username),
        permissions: { '/': ['*'] },
        filesystem: b.filesystem(),
      });
    }
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await s3Proxy?.stop();
    await gcsProxy?.stop();
    await s3?.stop();
    await gcs?.close();
    await tmp?.remove();
  });

  const sftp = (b: Backend, batch: string) =>
    sftpBatch(server.sshPort, b.username, PASSWORD, batch, local);

  /** The first log line written after the `mark`-th that `match` accepts, waiting up to 5 s. */
  async function logLine(mark: number, match: (message: string) => boolean): Promise<string> {
    for (let waited = 0; ; waited += 100) {
      const line = server.logs.slice(mark).find((l) => match(String(l.message)));
      if (line) return String(line.message);
      if (waited >= 5000) {
        const recent = server.logs.slice(mark).map((l) => l.message);
        throw new Error(`no such log line; written since: ${JSON.stringify(recent, null, 1)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The server goes on: with the faults cleared, an upload and a listing work. */
  async function stillServes(b: Backend, name: string): Promise<void> {
    b.proxy().setRules([]);
    const after = await sftp(b, `put small.txt ${name}\nls -1`);
    expect(after.code, after.output).toBe(0);
    expect(after.output).toContain(name);
    expect(await b.keys()).toContain(`${b.keyPrefix}${name}`);
  }

  describe.each(backends)('$name', (b) => {
    beforeAll(async () => {
      b.proxy().setRules([]);
      const put = await sftp(b, 'put keep.bin');
      expect(put.code, put.output).toBe(0);
    });

    /**
     * Uploads big.bin to a new name and over keep.bin, with `fault` on every
     * part or chunk after the first: both fail, in bounded time, with
     * `reason` in the log; neither leaves an object behind, and keep.bin is
     * what it was.
     */
    async function failedUploads(fresh: string, fault: Fault, reason: RegExp) {
      const proxy = b.proxy();
      proxy.clearLog();
      proxy.setRules([
        { name: 'parts', ...b.laterParts(fresh), fault },
        { name: 'parts', ...b.laterParts('keep.bin'), fault },
      ]);
      const mark = server.logs.length;
      const started = Date.now();
      // `-`: the batch goes on after the first failure; the second one sets the exit status
      const result = await sftp(b, `-put big.bin ${fresh}\nput big.bin keep.bin`);
      const elapsed = Date.now() - started;
      proxy.setRules([]);

      expect(result.code, result.output).not.toBe(0);
      expect(elapsed).toBeLessThan(BOUNDED_MS);
      // OpenSSH's client names the SFTP status only, of the write or of the close; the log says why
      const failures = result.output.match(/^(write remote "\/[^"]+"|close remote): Failure$/gm);
      expect(failures?.length ?? 0, result.output).toBeGreaterThanOrEqual(2);
      for (const name of [fresh, 'keep.bin']) {
        const line = await logLine(
          mark,
          (m) => m.startsWith(`transfer error: write "/${name}": `) && reason.test(m),
        );
        expect(line).not.toContain(BUCKET);
        // s3rver refuses AbortMultipartUpload (405): the line says the parts may remain
        if (b.dialect === 's3') {
          expect(line).toContain('; its parts could not be removed (MethodNotAllowed)');
        }
      }

      // nothing half-written under either name: the new one absent, the old one whole
      const keys = await b.keys();
      expect(keys).not.toContain(`${b.keyPrefix}${fresh}`);
      expect(sha256(await b.read(`${b.keyPrefix}keep.bin`))).toBe(sha256(keep));

      // every failed part or chunk was sent this many times: the client's retries
      const attempts = attemptsByPart(b, 'parts');
      expect(attempts.size).toBeGreaterThan(0);
      for (const n of attempts.values()) expect(n).toBe(b.attemptsPerPart);
      if (b.dialect === 's3') await expectMultipartAborted(proxy, [fresh, 'keep.bin']);
      console.info(
        `${b.name}, ${fault.kind}: sftp failed in ${elapsed} ms; faulted requests by part ${JSON.stringify(Object.fromEntries(attempts))}`,
      );
    }

    /**
     * No multipart upload of `names` is left. s3rver implements neither
     * ListMultipartUploads (NotImplemented) nor AbortMultipartUpload (405),
     * so what is checked is that the server sent an abort for every upload
     * it started: on S3 that removes its parts.
     */
    async function expectMultipartAborted(proxy: FaultProxy, names: readonly string[]) {
      const client = s3Direct();
      const listed = await client
        .send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))
        .catch((err: { name?: string }) => err);
      client.destroy();
      if (!('name' in listed && listed.name === 'NotImplemented')) {
        const left = (listed as { Uploads?: { Key?: string }[] }).Uploads ?? [];
        expect(left.filter((u) => names.some((n) => u.Key === `${b.keyPrefix}${n}`))).toEqual([]);
      }
      for (const name of names) {
        const ofName = proxy.requests.filter((r) =>
          r.url.startsWith(`/${BUCKET}/${b.keyPrefix}${name}?`),
        );
        const uploadIds = new Set(
          ofName.flatMap((r) => /[?&]uploadId=([^&]+)/.exec(r.url)?.[1] ?? []),
        );
        const aborted = ofName
          .filter((r) => r.method === 'DELETE')
          .map((r) => /[?&]uploadId=([^&]+)/.exec(r.url)?.[1]);
        expect(uploadIds.size).toBe(1);
        expect(aborted).toEqual([...uploadIds]);
      }
    }

    it('fails an upload whose parts the store keeps refusing (5xx), and leaves nothing', async () => {
      const status = b.dialect === 's3' ? 500 : 503;
      // the error the store sent, by name (S3) or by status (GCS)
      const reason = b.dialect === 's3' ? /: InternalError/ : /: storage error \(HTTP 503\)/;
      await failedUploads('refused.bin', { kind: 'status', status, dialect: b.dialect }, reason);
      await stillServes(b, 'after-refused.txt');
    });

    it('fails an upload whose part connections are reset mid-body, and leaves nothing', async () => {
      await failedUploads(
        'reset.bin',
        { kind: 'reset-request', afterBytes: MiB },
        /: the connection to the storage was cut \(ECONNRESET\)/,
      );
      await stillServes(b, 'after-reset.txt');
    });

    it('fails a download whose answer is cut mid-body', async () => {
      const proxy = b.proxy();
      proxy.clearLog();
      proxy.setRules([
        {
          name: 'reads',
          ...b.reads('keep.bin'),
          fault: { kind: 'reset-response', afterBytes: 64 * 1024 },
        },
      ]);
      const mark = server.logs.length;
      const started = Date.now();
      const result = await sftp(b, 'get keep.bin keep.back');
      const elapsed = Date.now() - started;
      proxy.setRules([]);

      expect(result.code, result.output).not.toBe(0);
      expect(result.output).toMatch(/: Failure$/m);
      expect(elapsed).toBeLessThan(BOUNDED_MS);
      // Google's library sometimes misses a cut that comes after the bytes: the idle timeout ends that read
      const reason =
        /: (the connection to the storage was cut \(ECONNRESET\)|no answer from the storage for \d+ s \(timeout\))/;
      await logLine(
        mark,
        (m) => m.startsWith('transfer error: read "/keep.bin": ') && reason.test(m),
      );
      expect(proxy.hits('reads')).toBeGreaterThan(0);
      console.info(
        `${b.name}, cut download: sftp failed in ${elapsed} ms after ${proxy.hits('reads')} ranged reads cut`,
      );

      const again = await sftp(b, 'get keep.bin keep.back');
      expect(again.code, again.output).toBe(0);
      expect(sha256(await readFile(join(local, 'keep.back')))).toBe(sha256(keep));
    });

    it('fails an upload whose part the store never answers, after the idle timeout', async () => {
      await failedUploads(
        'held.bin',
        { kind: 'hold' },
        new RegExp(`: no answer from the storage for ${IDLE_TIMEOUT_S} s \\(timeout\\)`),
      );
      await stillServes(b, 'after-held.txt');
    });
  });
});
