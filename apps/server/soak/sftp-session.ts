// One SFTP session of a soak run: an ssh2 client logged in once, looping
// upload, rename, download with a sha256 check of every byte, listing,
// a checksum command on every fifth round, and delete, until told to stop.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import ssh2 from 'ssh2';
import type { Tally } from './tally.js';

/** Where and as whom the sessions log in. */
export interface SshTarget {
  readonly port: number;
  readonly username: string;
  readonly privateKey: Buffer;
}

/** What one operation may take before it counts as an error. */
const OPERATION_TIMEOUT_MS = 120_000;
const MIN_FILE_BYTES = 32 * 1024;
const MAX_FILE_BYTES = 38 * 1024;
const CHECKSUM_EVERY = 5;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function timeout<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer in 120 s`)),
      OPERATION_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** A logged-in ssh2 client, or the error of its login. */
export function connect(target: SshTarget, auth: Partial<ssh2.ConnectConfig> = {}) {
  const client = new ssh2.Client();
  const ready = new Promise<ssh2.Client>((resolve, reject) => {
    client.once('ready', () => resolve(client)).once('error', reject);
    client.connect({
      host: '127.0.0.1',
      port: target.port,
      username: target.username,
      privateKey: target.privateKey,
      readyTimeout: OPERATION_TIMEOUT_MS,
      ...auth,
    });
  });
  return timeout('login', ready).catch((err: unknown) => {
    client.end();
    throw err;
  });
}

function openSftp(client: ssh2.Client): Promise<ssh2.SFTPWrapper> {
  return new Promise((resolve, reject) =>
    client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))),
  );
}

/** Runs `command` on the connection; its standard output, or an error naming its exit. */
function exec(client: ssh2.Client, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      channel.on('data', (d: Buffer) => out.push(d));
      channel.stderr.on('data', (d: Buffer) => errOut.push(d));
      channel.once('close', (code: number | null) => {
        if (code === 0) resolve(Buffer.concat(out).toString());
        else
          reject(new Error(`${command}: exit ${code}: ${Buffer.concat(errOut).toString().trim()}`));
      });
    });
  });
}

function call<T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void) {
  return new Promise<T>((resolve, reject) =>
    fn((err, value) => (err ? reject(err) : resolve(value as T))),
  );
}

/**
 * Logs in and loops in `dir` (made if missing) until `running()` is false.
 * Every operation is counted in `tally`; a failed round is counted and the
 * loop goes on, a lost connection logs in again.
 */
export async function sftpSession(
  target: SshTarget,
  dir: string,
  tally: Tally,
  running: () => boolean,
): Promise<void> {
  let round = 0;
  while (running()) {
    const client = await tally.result('sftp_login', () => connect(target));
    if (!client) continue;
    let lost = false;
    client.once('close', () => {
      lost = true;
    });
    try {
      const sftp = await tally.result('sftp_open', () => timeout('sftp', openSftp(client)));
      if (!sftp) continue;
      await call<void>((cb) => sftp.mkdir(dir, cb)).catch(() => {}); // there from an earlier login
      while (running() && !lost) await sftpRound(client, sftp, dir, round++, tally);
    } finally {
      client.end();
    }
  }
}

async function sftpRound(
  client: ssh2.Client,
  sftp: ssh2.SFTPWrapper,
  dir: string,
  round: number,
  tally: Tally,
): Promise<void> {
  const data = randomBytes(randomInt(MIN_FILE_BYTES, MAX_FILE_BYTES + 1));
  const digest = sha256(data);
  const part = `${dir}/upload.part`;
  const target = `${dir}/file-${round}.bin`;
  const started = performance.now();
  const steps: [string, () => Promise<unknown>][] = [
    ['upload', () => call<void>((cb) => sftp.writeFile(part, data, cb))],
    ['rename', () => call<void>((cb) => sftp.rename(part, target, cb))],
    [
      'download',
      async () => {
        const back = await call<Buffer>((cb) => sftp.readFile(target, cb));
        if (sha256(back) !== digest) throw new Error(`${target}: downloaded bytes differ`);
      },
    ],
    [
      'list',
      async () => {
        const names = (await call<ssh2.FileEntry[]>((cb) => sftp.readdir(dir, cb))).map(
          (e) => e.filename,
        );
        if (!names.includes(`file-${round}.bin`))
          throw new Error(`${dir}: file-${round}.bin not listed`);
      },
    ],
    ...(round % CHECKSUM_EVERY === 0
      ? ([
          [
            'sha256sum',
            async () => {
              const out = await exec(client, `sha256sum ${target}`);
              if (!out.startsWith(digest)) throw new Error(`sha256sum ${target}: ${out.trim()}`);
            },
          ],
        ] as [string, () => Promise<unknown>][])
      : []),
    ['delete', () => call<void>((cb) => sftp.unlink(target, cb))],
  ];
  for (const [kind, step] of steps) {
    // a failed step leaves the round: what follows would fail for its sake
    if (!(await tally.succeeds(kind, () => timeout(kind, step())))) return;
  }
  tally.ok('sftp_round', performance.now() - started);
}
