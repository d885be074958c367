#!/usr/bin/env node
// Serves one local directory over SFTP on stdin/stdout, as OpenSSH's
// sftp-server does, so that a client can talk to the engine directly:
//   sftp -D "sftpgo-sftp-server -d /srv/share"
import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { SftpSession, type SftpStreams } from '@sftpgo/sftp-protocol';
// The handler alone: the whole SSH service would cost its start-up time.
import { VfsSftpHandler } from '@sftpgo/sftp-vfs';
import { OsFs } from '@sftpgo/vfs';

const USAGE =
  'usage: sftpgo-sftp-server [-d DIR]\n  -d DIR  the directory served as / (default: the current directory)\n';

function parse(): string {
  try {
    const { values } = parseArgs({
      options: { dir: { type: 'string', short: 'd' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    return values.dir ?? process.cwd();
  } catch (err) {
    process.stderr.write(`sftpgo-sftp-server: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

/** stdin and stdout; pipes and sockets get non-blocking handles of their own. */
function stdioStreams(): SftpStreams {
  const isStream = (fd: number) => {
    const st = fstatSync(fd);
    return st.isFIFO() || st.isSocket();
  };
  // process.stdout writes synchronously to pipes on Linux, which would stall
  // every request while the client is slow to read.
  const input = isStream(0)
    ? new Socket({ fd: 0, readable: true, writable: false })
    : process.stdin;
  const output = isStream(1)
    ? new Socket({ fd: 1, readable: false, writable: true })
    : process.stdout;
  return { input, output };
}

const root = parse();
let fs: OsFs;
try {
  // One client per process: blocking calls, as OpenSSH's sftp-server makes.
  fs = await OsFs.create(root, { blocking: true });
} catch (err) {
  process.stderr.write(`sftpgo-sftp-server: cannot serve ${root}: ${(err as Error).message}\n`);
  process.exit(1);
}
const streams = stdioStreams();
const session = new SftpSession(streams, new VfsSftpHandler(fs), {
  outputCopies: true,
  onUnexpectedError: (err) =>
    process.stderr.write(`sftpgo-sftp-server: ${(err as Error).message}\n`),
});
const end = await session.ended;
if (end.reason === 'protocol-error')
  process.stderr.write(`sftpgo-sftp-server: ${end.error.message}\n`);
streams.output.end(() => process.exit(end.reason === 'eof' ? 0 : 1));
