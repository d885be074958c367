// The CPU that the SFTP engine, its handler and a session's layers spend per
// small file, in one process and without SSH: what `put -r` and `get -r` of
// 4 KiB files cost in our own code, measured more steadily than the whole
// server can be (bench/server-vs-sshd.ts). The storage alone and the
// session's layers over it take turns, round by round; the difference is
// what the layers cost.
//   pnpm bench:layers [--files N] [--rounds N] [--dir DIR]
// Run it under `node --cpu-prof --import tsx` for a profile of the same work.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { parseArgs } from 'node:util';
import { openMemoryProvider, type User } from '@sftpgo/provider';
import {
  PacketReader,
  PacketWriter,
  SftpSession,
  SSH_FX_EOF,
  SSH_FX_OK,
  SSH_FXF_CREAT,
  SSH_FXF_READ,
  SSH_FXF_TRUNC,
  SSH_FXF_WRITE,
  SSH_FXP_CLOSE,
  SSH_FXP_DATA,
  SSH_FXP_HANDLE,
  SSH_FXP_INIT,
  SSH_FXP_MKDIR,
  SSH_FXP_OPEN,
  SSH_FXP_READ,
  SSH_FXP_STATUS,
  SSH_FXP_WRITE,
} from '@sftpgo/sftp-protocol';
import { VfsSftpHandler } from '@sftpgo/sftp-vfs';
import { sessionFs } from '@sftpgo/sftpd';
import { duplexPair } from '@sftpgo/test-utils';
import { type Fs, OsFs } from '@sftpgo/vfs';
import { integer } from '../../../bench/cli-helpers.js';

const FILE_BYTES = 4096;
const READ_LENGTH = 32_768;

/** An SFTP client that sends one request at a time, as OpenSSH's does for small files. */
class SerialClient {
  readonly #stream: Duplex;
  #buffered = Buffer.alloc(0);
  #waiting: ((reply: Buffer) => void) | undefined;
  #id = 0;

  constructor(stream: Duplex) {
    this.#stream = stream;
    stream.on('data', (chunk: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, chunk]);
      while (this.#buffered.length >= 4) {
        const length = this.#buffered.readUInt32BE(0);
        if (this.#buffered.length < 4 + length) break;
        const reply = this.#buffered.subarray(4, 4 + length);
        this.#buffered = this.#buffered.subarray(4 + length);
        const waiting = this.#waiting;
        this.#waiting = undefined;
        waiting?.(reply);
      }
    });
  }

  async init(): Promise<void> {
    await this.#send(new PacketWriter(SSH_FXP_INIT).uint32(3));
  }

  /**
   * Sends the request `type`, its fields written by `fields` after its id,
   * and resolves with its reply, checked to be `expected`, read past its id.
   */
  async request(
    type: number,
    fields: (packet: PacketWriter) => PacketWriter,
    expected: number,
  ): Promise<PacketReader> {
    const reply = await this.#send(
      fields(new PacketWriter(type, 64 + FILE_BYTES).uint32(++this.#id)),
    );
    const reader = new PacketReader(reply, 5);
    if (reply[0] !== expected) {
      const status = reply[0] === SSH_FXP_STATUS ? ` (status ${reader.uint32()})` : '';
      throw new Error(`request ${type}: reply ${reply[0]}${status}, expected ${expected}`);
    }
    return reader;
  }

  /** Sends the request `type` and checks that its reply is the status `expected`. */
  async status(
    type: number,
    fields: (packet: PacketWriter) => PacketWriter,
    expected = SSH_FX_OK,
  ): Promise<void> {
    const code = (await this.request(type, fields, SSH_FXP_STATUS)).uint32();
    if (code !== expected) throw new Error(`request ${type}: status ${code}, expected ${expected}`);
  }

  #send(packet: PacketWriter): Promise<Buffer> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#stream.write(packet.finish());
    });
  }
}

async function open(client: SerialClient, path: string, pflags: number): Promise<Buffer> {
  const reply = await client.request(
    SSH_FXP_OPEN,
    (p) => p.string(path).uint32(pflags).attrs({}),
    SSH_FXP_HANDLE,
  );
  return reply.bytes();
}

/** What OpenSSH's `put` sends for a small file: open, one write, close. */
async function upload(client: SerialClient, path: string, data: Buffer): Promise<void> {
  const handle = await open(client, path, SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC);
  await client.status(SSH_FXP_WRITE, (p) => p.string(handle).uint64(0).string(data));
  await client.status(SSH_FXP_CLOSE, (p) => p.string(handle));
}

/** What OpenSSH's `get` sends for a small file: open, reads to the end, close. */
async function download(client: SerialClient, path: string): Promise<void> {
  const handle = await open(client, path, SSH_FXF_READ);
  const read = (at: number) => (p: PacketWriter) => p.string(handle).uint64(at).uint32(READ_LENGTH);
  await client.request(SSH_FXP_READ, read(0), SSH_FXP_DATA);
  await client.status(SSH_FXP_READ, read(FILE_BYTES), SSH_FX_EOF);
  await client.status(SSH_FXP_CLOSE, (p) => p.string(handle));
}

/** A client served by the engine over `fs`, in a directory of its own. */
async function serve(fs: Fs, dir: string): Promise<SerialClient> {
  const [clientEnd, serverEnd] = duplexPair();
  new SftpSession(serverEnd, new VfsSftpHandler(fs));
  const client = new SerialClient(clientEnd);
  await client.init();
  await client.status(SSH_FXP_MKDIR, (p) => p.string(dir).attrs({}));
  return client;
}

interface Setup {
  readonly name: string;
  readonly client: SerialClient;
  readonly dir: string;
  readonly upload: number[];
  readonly download: number[];
}

/** CPU microseconds per file of `work` run on `files` files. */
async function cpuPerFile(files: number, work: (i: number) => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < files; i++) await work(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / files;
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: '5000' },
      rounds: { type: 'string', default: '5' },
      dir: { type: 'string' },
    },
  });
  const files = integer(values.files, '--files');
  const rounds = integer(values.rounds, '--rounds');
  // tmpfs by default: the kernel's work for a file is then small and steady
  const base = await mkdtemp(
    join(values.dir ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir()), 'layers-'),
  );
  const provider = await openMemoryProvider({});
  try {
    const user: User = await provider.addUser({
      username: 'bench',
      password: 'bench-password',
      home_dir: join(base, 'home'),
      permissions: { '/': ['*'] },
    });
    const storage = await OsFs.create(user.home_dir, { followLinks: false });
    const { fs: layered } = sessionFs(
      storage,
      user,
      { uploadMode: 0, setstatMode: 0, quotaTracking: 2 },
      {
        quotaStore: provider,
        context: { username: user.username, connectionId: 'bench', protocol: 'SFTP', homeDir: '/' },
        emit: () => {},
        endsAfterReply: true,
      },
    );
    const setups: Setup[] = [];
    for (const [name, fs] of [
      ['storage alone', storage],
      ['session layers', layered],
    ] as const) {
      const dir = `/${name.replace(' ', '-')}`;
      setups.push({ name, client: await serve(fs, dir), dir, upload: [], download: [] });
    }
    const data = Buffer.alloc(FILE_BYTES, 7);
    // round 0 warms the code up and leaves the files the downloads read
    for (let round = 0; round <= rounds; round++) {
      for (const s of setups) {
        const path = (i: number) => `${s.dir}/r${round}-f${i}`;
        const up = await cpuPerFile(files, (i) => upload(s.client, path(i), data));
        const down = await cpuPerFile(files, (i) => download(s.client, path(i)));
        if (round === 0) continue;
        s.upload.push(up);
        s.download.push(down);
      }
    }
    const [alone, layers] = setups as [Setup, Setup];
    const row = (name: string, up: number, down: number) =>
      `${name.padEnd(16)} ${up.toFixed(0).padStart(8)} ${down.toFixed(0).padStart(10)}`;
    process.stdout.write(
      [
        `CPU µs per 4 KiB file, median of ${rounds} rounds of ${files} files, in ${base}:`,
        `${''.padEnd(16)} ${'upload'.padStart(8)} ${'download'.padStart(10)}`,
        row(alone.name, median(alone.upload), median(alone.download)),
        row(layers.name, median(layers.upload), median(layers.download)),
        row(
          'the layers',
          median(layers.upload) - median(alone.upload),
          median(layers.download) - median(alone.download),
        ),
        '',
      ].join('\n'),
    );
  } finally {
    await provider.close();
    await rm(base, { recursive: true, force: true });
  }
}

await main();
