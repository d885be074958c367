// The rows of the server benchmark: what the OpenSSH clients do against a
// running server, what to clear before a run, and what to check after it.
// The sftp figures of the engine benchmark are reused, in a session that
// first `cd`s to the served directory.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clear, expectDigest, type Figure, figures, mib, type Unit } from './figures.js';
import { expectFileSize, type Fixtures, fileDigest, syncDisks } from './fixtures.js';
import type { ServerUnderTest } from './servers.js';
import { runClient } from './sftp-run.js';

export const CIPHERS = [
  'aes128-gcm@openssh.com',
  'chacha20-poly1305@openssh.com',
  'aes128-ctr',
] as const;
/** The cipher of every figure that is not about ciphers. */
export const DEFAULT_CIPHER = CIPHERS[0];

/** The names `--only` takes. */
export const GROUPS = [
  'large',
  'scp',
  'rsync',
  'small',
  'ls',
  'concurrent',
  'logins',
  'idle',
] as const;
export type Group = (typeof GROUPS)[number];

/** What a row must reach, ours against sshd; a missing bound is not a target. */
export interface Target {
  /** Throughput ratio at or above which the row is met. */
  readonly speed?: number;
  /** Server CPU ratio at or under which the row is met. */
  readonly cpu?: number;
}

export interface Row {
  readonly id: string;
  readonly group: Group;
  readonly label: string;
  readonly unit: Unit;
  /** MiB, files, entries or logins of one run, to turn a time into a rate. */
  readonly amount: number;
  /** GiB moved by one run, for CPU seconds per GiB; 0 for the others. */
  readonly gib: number;
  readonly target: Target;
  /** Why the row cannot run on `server`, if it cannot. */
  missing(server: ServerUnderTest): string | undefined;
  /** Clears the way and writes the batch files, untimed. */
  prepare(server: ServerUnderTest, run: number): Promise<void>;
  /** The timed part: the client commands of one run. */
  run(server: ServerUnderTest, run: number): Promise<void>;
  /** Fails unless the run moved everything; `full` also compares sha256 digests. */
  verify(server: ServerUnderTest, run: number, full: boolean): Promise<void>;
}

export interface RowContext {
  readonly fx: Fixtures;
  /** The client's private key. */
  readonly key: string;
  /** Where batch files go. */
  readonly dir: string;
  readonly timeoutMs: number;
  /** Sessions of the concurrent figure, each downloading the served `mid.bin`. */
  readonly concurrent: { readonly sessions: number; readonly bytes: number; digest: string };
  readonly logins: number;
}

/** Options of every OpenSSH client: no config file, no prompt, no host key check. */
export function sshOptions(key: string, cipher: string): string[] {
  return [
    ...['-F', '/dev/null', '-i', key, '-c', cipher],
    ...['-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR'],
    ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'],
  ];
}

function sftp(
  c: RowContext,
  server: ServerUnderTest,
  batchFile: string,
  cipher: string = DEFAULT_CIPHER,
) {
  const target = `${server.user}@127.0.0.1`;
  return ['sftp', ...sshOptions(c.key, cipher), '-P', `${server.port}`, '-b', batchFile, target];
}

/** `user@127.0.0.1:<served dir>/rel`, for scp and rsync. */
function remote(server: ServerUnderTest, rel: string): string {
  return `${server.user}@127.0.0.1:${join(server.home, rel)}`;
}

const short = (cipher: string) => cipher.replace('@openssh.com', '');
const none = () => undefined;

/** An engine benchmark figure, run in one sftp session against a server. */
function sftpRow(c: RowContext, figure: Figure, group: Group, target: Target, cipher?: string) {
  const batchFile = join(c.dir, `${figure.id}${cipher ? `-${short(cipher)}` : ''}.batch`);
  const once = async (server: ServerUnderTest, captureStdout = false) =>
    (await runClient(sftp(c, server, batchFile, cipher), { captureStdout, timeoutMs: c.timeoutMs }))
      .stdout ?? '';
  return {
    id: cipher ? `${figure.id}-${short(cipher)}` : figure.id,
    group,
    label: cipher ? `${figure.label}, ${short(cipher)}` : figure.label,
    unit: figure.unit,
    amount: figure.amount,
    gib: figure.unit === 'MiB/s' ? figure.amount / 1024 : 0,
    target,
    missing: none,
    async prepare(server, run) {
      await writeFile(batchFile, `cd ${server.home}\n${figure.batch(run)}`);
      await figure.prepare(run);
    },
    run: async (server) => void (await once(server)),
    verify: (server, run, full) =>
      figure.verify(run, { full, captureOutput: () => once(server, true) }),
  } satisfies Row;
}

/** A 1 GiB copy by scp or rsync, up (`client/big.bin` to `rel`) or down. */
function copyRow(
  c: RowContext,
  id: string,
  label: string,
  target: Target,
  argv: (server: ServerUnderTest, from: string, to: string) => string[],
  up: boolean,
): Row {
  const { fx } = c;
  const rel = up ? `${id}.bin` : 'big.bin';
  const local = join(fx.clientDir, up ? 'big.bin' : 'got.bin');
  const copy = up ? join(fx.serverRoot, rel) : local;
  return {
    id,
    group: id.startsWith('rsync') ? 'rsync' : 'scp',
    label: `${label}, one ${mib(fx.sizes.bigBytes)} file`,
    unit: 'MiB/s',
    amount: fx.sizes.bigBytes / 2 ** 20,
    gib: fx.sizes.bigBytes / 2 ** 30,
    target,
    missing: (server) => (id.startsWith('rsync') ? server.rsyncMissing : undefined),
    prepare: () => clear(copy),
    async run(server) {
      const [from, to] = up ? [local, remote(server, rel)] : [remote(server, rel), local];
      await runClient(argv(server, from, to), { timeoutMs: c.timeoutMs });
    },
    async verify(_server, _run, full) {
      await expectFileSize(copy, fx.sizes.bigBytes);
      if (full) await expectDigest(fileDigest(copy), fx.bigDigest, copy);
    },
  };
}

function scp(c: RowContext, server: ServerUnderTest, from: string, to: string): string[] {
  return ['scp', '-O', ...sshOptions(c.key, DEFAULT_CIPHER), '-P', `${server.port}`, from, to];
}

function rsync(c: RowContext, server: ServerUnderTest, from: string, to: string): string[] {
  const ssh = ['ssh', ...sshOptions(c.key, DEFAULT_CIPHER), '-p', `${server.port}`];
  return ['rsync', '-e', ssh.join(' '), from, to];
}

/** `sessions` sftp sessions at once, each downloading `mid.bin` to a file of its own. */
function concurrentRow(c: RowContext): Row {
  const { sessions, bytes, digest } = c.concurrent;
  const batch = (i: number) => join(c.dir, `concurrent-${i}.batch`);
  const got = (i: number) => join(c.fx.clientDir, `concurrent-${i}.bin`);
  const all = Array.from({ length: sessions }, (_, i) => i);
  return {
    id: 'concurrent',
    group: 'concurrent',
    label: `${sessions} sessions × get ${mib(bytes)}, at once (ours: sftpd.workers 0)`,
    unit: 'MiB/s',
    amount: (sessions * bytes) / 2 ** 20,
    gib: (sessions * bytes) / 2 ** 30,
    target: { speed: 1.5 },
    missing: none,
    async prepare(server) {
      for (const i of all) {
        await writeFile(batch(i), `cd ${server.home}\nget mid.bin ${got(i)}\n`);
        await rm(got(i), { force: true });
      }
      syncDisks();
    },
    async run(server) {
      await Promise.all(
        all.map((i) => runClient(sftp(c, server, batch(i)), { timeoutMs: c.timeoutMs })),
      );
    },
    async verify(_server, _run, full) {
      for (const i of all) {
        await expectFileSize(got(i), bytes);
        if (full) await expectDigest(fileDigest(got(i)), digest, got(i));
      }
    },
  };
}

/**
 * `count` sftp sessions one after the other, each asking for the working
 * directory; with the client's key exchange, or with `kex` on both servers.
 */
function loginsRow(c: RowContext, kex?: string): Row {
  const batchFile = join(c.dir, 'logins.batch');
  const options = kex ? ['-o', `KexAlgorithms=${kex}`] : [];
  let outputs: string[] = [];
  return {
    id: kex ? `logins-${kex}` : 'logins',
    group: 'logins',
    label: `${c.logins} key logins, one after another${kex ? `, ${kex}` : ''}`,
    unit: 'logins/s',
    amount: c.logins,
    gib: 0,
    target: { cpu: 0.5 },
    missing: none,
    async prepare(server) {
      await writeFile(batchFile, `cd ${server.home}\npwd\n`);
      outputs = [];
    },
    async run(server) {
      for (let i = 0; i < c.logins; i++) {
        const argv = sftp(c, server, batchFile);
        const run = await runClient([argv[0]!, ...options, ...argv.slice(1)], {
          captureStdout: true,
          timeoutMs: c.timeoutMs,
        });
        outputs.push(run.stdout ?? '');
      }
    },
    async verify() {
      const served = outputs.filter((o) => /^Remote working directory: \//m.test(o)).length;
      if (served !== c.logins) throw new Error(`${served} of ${c.logins} logins printed pwd`);
    },
  };
}

/**
 * What a server agrees on with the client: `curve25519-sha256 key exchange,
 * hmac-sha2-256-etm@openssh.com MAC with aes128-ctr`, from the client's
 * debug lines.
 */
export async function negotiated(c: RowContext, server: ServerUnderTest): Promise<string> {
  const batchFile = join(c.dir, 'negotiated.batch');
  await writeFile(batchFile, 'pwd\n');
  const argv = sftp(c, server, batchFile, 'aes128-ctr');
  // The first LogLevel given is the one that counts.
  const debug = [argv[0]!, '-o', 'LogLevel=DEBUG1', ...argv.slice(1)];
  const { stderr } = await runClient(debug, { timeoutMs: c.timeoutMs });
  const kex = /kex: algorithm: (\S+)/.exec(stderr)?.[1] ?? '?';
  const mac = /kex: server->client cipher: \S+ MAC: (\S+)/.exec(stderr)?.[1] ?? '?';
  return `${kex} key exchange, ${mac} MAC with aes128-ctr`;
}

/** Every timed row, in the order they run. */
export function serverRows(c: RowContext): Row[] {
  const [getLarge, putLarge, putSmall, getSmall, ls] = figures(c.fx) as [Figure, ...Figure[]];
  const large = { speed: 1.1, cpu: 1 };
  return [
    ...CIPHERS.flatMap((cipher) => [
      sftpRow(c, getLarge, 'large', large, cipher),
      sftpRow(c, putLarge!, 'large', large, cipher),
    ]),
    copyRow(c, 'scp-up', 'scp -O upload', { speed: 1.2 }, (s, f, t) => scp(c, s, f, t), true),
    copyRow(c, 'scp-down', 'scp -O download', { speed: 1.2 }, (s, f, t) => scp(c, s, f, t), false),
    copyRow(c, 'rsync-up', 'rsync upload', {}, (s, f, t) => rsync(c, s, f, t), true),
    sftpRow(c, putSmall!, 'small', { speed: 1.2 }),
    sftpRow(c, getSmall!, 'small', { speed: 1.2 }),
    sftpRow(c, ls!, 'ls', { speed: 1 }),
    concurrentRow(c),
    loginsRow(c),
    // ours has no post-quantum key exchange: the same one on both servers
    loginsRow(c, 'curve25519-sha256'),
  ];
}
