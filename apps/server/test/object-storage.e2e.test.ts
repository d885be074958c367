import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import type { Fs } from '@sftpgo/vfs';
import { GcsFs } from '@sftpgo/vfs-gcs';
import { S3Fs } from '@sftpgo/vfs-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GcsServer, startGcsServer } from '../../../packages/vfs-gcs/test/gcs-server.js';
import { type S3Server, startS3rver } from '../../../packages/vfs-s3/test/s3rver-process.js';
import { runWithPassword, sftpBatch, sshPasswordOptions } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

const PASSWORD = 'bucket-pass';
const BUCKET = 'sftpgo';
const MANY = 10_000;

/** One backend as the tests reach it: the account's settings, and the bucket seen directly. */
interface Backend {
  readonly name: string;
  readonly username: string;
  readonly keyPrefix: string;
  /** `filesystem` of the account, for the REST API. */
  filesystem(): Record<string, unknown>;
  /** The whole bucket, below no prefix, bypassing the server. */
  bucket(): Fs;
  /** Every key of the bucket, directory markers included, listed flat. */
  keys(): Promise<string[]>;
  /** What actions and logs show for the virtual `path`. */
  fullPath(path: string): string;
  readonly metricsPrefix: string;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function readAll(fs: Fs, path: string): Promise<Buffer> {
  const stat = await fs.stat(path);
  const handle = await fs.open(path, { read: true });
  const data = Buffer.alloc(stat.size);
  for (let at = 0; at < stat.size; ) {
    const n = await handle.read(data, at, Math.min(1 << 20, stat.size - at), at);
    if (n === 0) break;
    at += n;
  }
  await handle.close();
  return data;
}

async function writeObject(fs: Fs, path: string, data: Buffer): Promise<void> {
  const handle = await fs.open(path, { write: true, create: true, truncate: true });
  await handle.write(data, 0, data.length, 0);
  await handle.close();
}

describe.runIf(hasCommand('sftp') && hasCommand('sshpass') && hasCommand('scp'))(
  'object storage served over SFTP, SCP and SSH commands',
  () => {
    let tmp: Awaited<ReturnType<typeof makeTempDir>>;
    let s3: S3Server | undefined;
    let gcs: GcsServer | undefined;
    let server: ServerProcess;
    let api: string;
    let local: string;
    let bigFile: Buffer;
    const actionsLog = () => join(tmp.path, 'actions.log');
    const homeOf = (user: string) => join(tmp.path, 'homes', user);

    const s3Bucket = () => ({
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
        metricsPrefix: 'sftpgo_s3',
        filesystem: () => ({
          provider: 1,
          s3config: {
            bucket: BUCKET,
            region: 'us-east-1',
            access_key: 'S3RVER',
            access_secret: 'S3RVER',
            endpoint: s3!.endpoint,
            key_prefix: 'users/s3user/',
          },
        }),
        bucket: () => new S3Fs(s3Bucket()),
        async keys() {
          // flat: s3rver omits the common prefixes of a prefix holding only prefixes
          const client = S3Fs.client(s3Bucket());
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
        fullPath: (path) => `/users/s3user${path}`,
      },
      {
        name: 'Google Cloud Storage (JSON API server)',
        username: 'gcsuser',
        keyPrefix: 'users/gcsuser/',
        metricsPrefix: 'sftpgo_gcs',
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
        bucket: () => new GcsFs({ bucket: BUCKET, apiEndpoint: gcs!.endpoint }),
        keys: async () => [...gcs!.objects(BUCKET).keys()],
        fullPath: (path) => `users/gcsuser${path}`,
      },
    ];

    beforeAll(async () => {
      tmp = await makeTempDir();
      local = join(tmp.path, 'local');
      await mkdir(local);
      bigFile = randomBytes(50 * 1024 * 1024);
      await writeFile(join(local, 'big.bin'), bigFile);
      await writeFile(join(local, 'small.txt'), 'small file\n');
      s3 = await startS3rver(join(tmp.path, 's3'), [BUCKET]);
      gcs = await startGcsServer([BUCKET]);
      const action = join(tmp.path, 'action.sh');
      await writeFile(
        action,
        `#!/bin/sh\necho "$SFTPGO_ACTION $SFTPGO_ACTION_USERNAME $SFTPGO_ACTION_PATH $SFTPGO_ACTION_LOCAL_FILE $SFTPGO_ACTION_FILE_SIZE" >> '${actionsLog()}'\n`,
      );
      await chmod(action, 0o755);
      ({ server, api } = await startLoopbackServer(
        tmp.path,
        {
          enabled_ssh_commands: ['*'],
          actions: { execute_on: ['upload', 'download', 'delete', 'rename'], command: action },
        },
        { track_quota: 1 },
        {},
        // the Google library's own setting for an endpoint other than Google's
        { STORAGE_EMULATOR_HOST: gcs.endpoint },
      ));
      for (const b of backends) {
        await addUser(api, {
          username: b.username,
          password: PASSWORD,
          home_dir: homeOf(b.username),
          permissions: { '/': ['*'] },
          filesystem: b.filesystem(),
        });
      }
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      killAllServers();
      await s3?.stop();
      await gcs?.close();
      await tmp?.remove();
    });

    const scpOptions = () => sshPasswordOptions(server.sshPort).map((o) => (o === '-p' ? '-P' : o));
    const sftp = (b: Backend, batch: string) =>
      sftpBatch(server.sshPort, b.username, PASSWORD, batch, local);
    const ssh = (b: Backend, command: string) =>
      runWithPassword(PASSWORD, 'ssh', [
        ...sshPasswordOptions(server.sshPort),
        `${b.username}@127.0.0.1`,
        command,
      ]);
    const userOf = async (b: Backend) => {
      const res = await fetch(`${api}/user?username=${b.username}`);
      const [user] = (await res.json()) as Record<string, unknown>[];
      return user as { id: number; used_quota_size: number; used_quota_files: number };
    };

    describe.each(backends)('$name', (b) => {
      const userRoot = () => b.keyPrefix.replace(/\/$/, '');

      it('puts and gets a 50 MiB file with sftp and with scp -O', async () => {
        const put = await sftp(b, 'put big.bin\nget big.bin big.back');
        expect(put.code, put.output).toBe(0);
        expect(sha256(await readFile(join(local, 'big.back')))).toBe(sha256(bigFile));
        const stored = await readAll(b.bucket(), `/${b.keyPrefix}big.bin`);
        expect(sha256(stored)).toBe(sha256(bigFile));

        const scpUp = await runWithPassword(
          PASSWORD,
          'scp',
          ['-O', ...scpOptions(), 'big.bin', `${b.username}@127.0.0.1:/scp.bin`],
          { cwd: local },
        );
        expect(scpUp.code, scpUp.stderr).toBe(0);
        const scpDown = await runWithPassword(
          PASSWORD,
          'scp',
          ['-O', ...scpOptions(), `${b.username}@127.0.0.1:/scp.bin`, 'scp.back'],
          { cwd: local },
        );
        expect(scpDown.code, scpDown.stderr).toBe(0);
        expect(sha256(await readFile(join(local, 'scp.back')))).toBe(sha256(bigFile));
        // the account's home directory was never needed
        expect(existsSync(homeOf(b.username))).toBe(false);
      }, 180_000);

      it('lists a prefix of 10,000 objects', async () => {
        const bucket = b.bucket();
        const names = Array.from({ length: MANY }, (_, i) => `f${String(i).padStart(5, '0')}`);
        for (let at = 0; at < names.length; at += 100) {
          await Promise.all(
            names
              .slice(at, at + 100)
              .map((n) => writeObject(bucket, `/${b.keyPrefix}many/${n}`, Buffer.from(n))),
          );
        }
        const listed = await sftp(b, 'ls -l many');
        expect(listed.code, listed.output.slice(-2000)).toBe(0);
        const lines = listed.output.split('\n').filter((l) => /^-\S+\s/.test(l));
        expect(lines).toHaveLength(MANY);
        expect(lines[0]).toMatch(/\s6\s.*f00000$/);
        expect(lines.at(-1)).toMatch(/f09999$/);
      }, 300_000);

      it('makes and removes directories, renames a file and a non-empty directory, removes files', async () => {
        const result = await sftp(
          b,
          [
            'mkdir d1',
            'put small.txt d1/a.txt',
            'put small.txt d1/b.txt',
            'mkdir d1/sub',
            'put small.txt d1/sub/c.txt',
            'rename d1 d2',
            'rename d2/a.txt d2/renamed.txt',
            'rm d2/b.txt',
            'mkdir empty',
            'rmdir empty',
            'ls -1 d2',
          ].join('\n'),
        );
        expect(result.code, result.output).toBe(0);
        const keys = await b.keys();
        const under = (dir: string) => keys.filter((k) => k.startsWith(`${b.keyPrefix}${dir}/`));
        expect(under('d2').sort()).toEqual(
          ['d2/', 'd2/renamed.txt', 'd2/sub/', 'd2/sub/c.txt'].map((k) => b.keyPrefix + k),
        );
        expect(under('d1')).toEqual([]);
        await expect(b.bucket().stat(`/${userRoot()}/empty`)).rejects.toMatchObject({
          code: 'not-found',
        });
      });

      it('refuses what object storage cannot do, with the status OpenSSH clients expect', async () => {
        await sftp(b, 'put small.txt plain.txt');
        const links = await sftp(b, '-ln -s plain.txt link\n-ln plain.txt hard\n-df /');
        // sftp writes its commands and its errors on two streams: their order varies
        expect(links.output).toMatch(/remote symlink .*: Operation unsupported/);
        expect(links.output).toMatch(/does not support hardlink@openssh\.com/);
        expect(links.output).toMatch(/does not support statvfs@openssh\.com/);
        // times cannot be set: put -p fails at its setstat, and the object is still stored
        const times = await sftp(b, '-put -p small.txt timed.txt');
        expect(times.output).toMatch(/unsupported/i);
        // a resumed upload would have to append to an object
        await writeFile(join(local, 'resume.bin'), Buffer.alloc(100_000, 3));
        await writeObject(b.bucket(), `/${b.keyPrefix}resume.bin`, Buffer.alloc(50_000, 3));
        const resumed = await sftp(b, '-reput resume.bin');
        expect(resumed.output).toMatch(/unsupported/i);
        expect((await b.bucket().stat(`/${b.keyPrefix}resume.bin`)).size).toBe(50_000);
        // chmod and chown succeed without doing anything, as the spec has it
        const chmod = await sftp(b, 'chmod 600 plain.txt\nchown 1000 plain.txt');
        expect(chmod.code, chmod.output).toBe(0);
      });

      it('refuses rsync and git with a clear message, and runs the checksum commands', async () => {
        await sftp(b, 'put small.txt sum.txt');
        const sum = await ssh(b, 'sha256sum sum.txt');
        expect(sum.code, sum.stderr).toBe(0);
        expect(sum.stdout.toString()).toBe(`${sha256(Buffer.from('small file\n'))}  sum.txt\n`);
        const md5 = await ssh(b, 'md5sum sum.txt');
        expect(md5.stdout.toString()).toBe(
          `${createHash('md5').update('small file\n').digest('hex')}  sum.txt\n`,
        );
        for (const command of ['rsync --server -vlogDtpre.iLsfxC . /', 'git-upload-pack /repo']) {
          const refused = await ssh(b, command);
          expect(refused.code, command).not.toBe(0);
          expect(refused.stderr).toMatch(/works only on the local filesystem/);
        }
      });

      it('keeps every path below the key prefix, whatever the client sends', async () => {
        const result = await sftp(
          b,
          [
            '-put small.txt ../../escape1.txt',
            '-put small.txt /../../../escape2.txt',
            '-put small.txt "..\\\\..\\\\escape3.txt"',
            '-mkdir ../../escapedir',
            'ls -1 /..',
          ].join('\n'),
        );
        expect(result.code, result.output).toBe(0);
        // this backend's bucket holds this account's keys alone
        const everything = await b.keys();
        expect(everything.filter((k) => !k.startsWith(b.keyPrefix))).toEqual([]);
        expect(everything).toEqual(
          expect.arrayContaining(
            ['escape1.txt', 'escape2.txt', 'escape3.txt', 'escapedir/'].map((k) => b.keyPrefix + k),
          ),
        );
      });

      it('counts quota, fires actions on non-local files and counts its requests', async () => {
        await sftp(b, 'put small.txt quota.txt');
        const user = await userOf(b);
        expect(user.used_quota_files).toBeGreaterThan(0);
        expect(user.used_quota_size).toBeGreaterThan(bigFile.length);
        const log = await readFile(actionsLog(), 'utf8');
        expect(log).toContain(
          `upload ${b.username} ${b.fullPath('/quota.txt')} false ${'small file\n'.length}`,
        );
        // a quota scan counts what is in the bucket below the prefix
        const scan = await fetch(`${api}/quota_scan`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: b.username }),
        });
        expect(scan.status).toBe(201);
        const files = (await b.keys()).filter((k) => k.startsWith(b.keyPrefix) && !k.endsWith('/'));
        for (let waited = 0; waited < 30_000; waited += 200) {
          const scans = (await (await fetch(`${api}/quota_scan`)).json()) as unknown[];
          if (scans.length === 0) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        expect((await userOf(b)).used_quota_files).toBe(files.length);
        const metrics = await (await fetch(api.replace(/\/api\/v1$/, '/metrics'))).text();
        const value = (name: string) =>
          Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? Number.NaN);
        expect(value(`${b.metricsPrefix}_uploads_total`)).toBeGreaterThan(0);
        expect(value(`${b.metricsPrefix}_upload_size`)).toBeGreaterThan(bigFile.length);
        expect(value(`${b.metricsPrefix}_downloads_total`)).toBeGreaterThan(0);
        expect(value(`${b.metricsPrefix}_list_objects`)).toBeGreaterThan(0);
        expect(value(`${b.metricsPrefix}_copy_object`)).toBeGreaterThan(0);
        expect(value(`${b.metricsPrefix}_head_bucket`)).toBeGreaterThan(0);
      });
    });

    it('refuses a session on a bucket that does not exist, and says why in the log', async () => {
      await addUser(api, {
        username: 'nobucket',
        password: PASSWORD,
        home_dir: homeOf('nobucket'),
        permissions: { '/': ['*'] },
        filesystem: {
          provider: 1,
          s3config: {
            ...(backends[0]!.filesystem().s3config as object),
            bucket: 'missing-bucket',
          },
        },
      });
      const result = await sftpBatch(server.sshPort, 'nobucket', PASSWORD, 'ls', local);
      expect(result.code).not.toBe(0);
      const line = await server.waitForLog((l) =>
        String(l.message).startsWith('cannot open the storage of nobucket'),
      );
      expect(String(line.message)).toContain('"missing-bucket"');
    });
  },
);
