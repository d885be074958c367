import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { hasCommand } from '@sftpgo/test-utils';
import { describe, expect, it } from 'vitest';

/** What a client sends first: its identification and the algorithms of its key exchange offer. */
interface ClientOffer {
  readonly ident: string;
  readonly kex: readonly string[];
}

const STRICT_KEX_CLIENT = 'kex-strict-c-v00@openssh.com';

/**
 * Listens as an SSH server would, reads the identification and the first
 * (clear-text) KEXINIT of one client, then closes: what the client offers,
 * whatever server it meets.
 */
async function probe(): Promise<{ port: number; offer: Promise<ClientOffer>; server: Server }> {
  let settle: (offer: ClientOffer) => void = () => {};
  const offer = new Promise<ClientOffer>((resolve) => {
    settle = resolve;
  });
  const server = createServer((socket) => {
    let received = Buffer.alloc(0);
    let ident: string | undefined;
    socket.on('error', () => {});
    socket.write('SSH-2.0-probe\r\n');
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (ident === undefined) {
        const end = received.indexOf('\n');
        if (end < 0) return;
        ident = received.subarray(0, end).toString().trim();
        received = received.subarray(end + 1);
      }
      // packet length, padding length, message number 20, 16 bytes of cookie, then the name-list
      if (received.length < 26 || received.length < 4 + received.readUInt32BE(0)) return;
      const length = received.readUInt32BE(22);
      const kex = received
        .subarray(26, 26 + length)
        .toString()
        .split(',');
      socket.destroy();
      settle({ ident, kex });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, offer, server };
}

const JSCH_JAR = '/usr/share/java/jsch.jar';
const JSCH_CONNECT = fileURLToPath(new URL('./fixtures/JschConnect.java', import.meta.url));

/**
 * The clients tested against the server whose strict key exchange support
 * docs/security.md states, by the identification of the version it was
 * stated for, and how each is made to connect to `port`.
 */
const CLIENTS: readonly {
  readonly name: string;
  readonly available: () => boolean;
  readonly argv: (port: number) => string[];
  readonly ident: string;
  readonly strict: boolean;
}[] = [
  {
    name: 'curl (libssh2)',
    available: () => hasCommand('curl'),
    argv: (port) => ['curl', '-s', '-k', `sftp://probe:probe@127.0.0.1:${port}/`],
    ident: 'SSH-2.0-libssh2_1.10.0',
    strict: false,
  },
  {
    name: 'JSch',
    available: () => hasCommand('java') && existsSync(JSCH_JAR),
    argv: (port) => ['java', '-cp', JSCH_JAR, JSCH_CONNECT, String(port)],
    ident: 'SSH-2.0-JSCH-0.1.54',
    strict: false,
  },
  {
    name: 'rclone',
    available: () => hasCommand('rclone'),
    argv: (port) => [
      'rclone',
      'lsd',
      ...['--sftp-host', '127.0.0.1', '--sftp-port', String(port), '--sftp-user', 'probe'],
      ...['--sftp-pass', 'NR8ZRUOHhL44uYSH5IAB3yY0PA', '--contimeout', '5s', ':sftp:'],
    ],
    ident: 'SSH-2.0-rclone/',
    strict: false,
  },
];

describe('strict key exchange (Terrapin) of the clients tested', () => {
  for (const client of CLIENTS) {
    it.runIf(client.available())(
      `${client.name} is as docs/security.md states`,
      async () => {
        const { port, offer, server } = await probe();
        const [program, ...args] = client.argv(port);
        const child = spawn(program!, args, { stdio: 'ignore' });
        try {
          const { ident, kex } = await offer;
          expect(
            ident,
            `docs/security.md states the strict key exchange of ${client.ident}; update it for ${ident}`,
          ).toBe(client.ident);
          expect(kex.includes(STRICT_KEX_CLIENT)).toBe(client.strict);
        } finally {
          child.kill('SIGKILL');
          server.close();
        }
      },
      30_000,
    );
  }
});
