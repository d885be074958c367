import type { Duplex } from 'node:stream';
import { duplexPair } from '@sftpgo/test-utils';
import type { Fs } from '@sftpgo/vfs';
import { parseScpCommand, runScp, type ScpResult } from '../src/index.js';
import { ByteReader } from '../src/io.js';

/** The client's end of an scp command run over an in-memory stream pair. */
export class Peer {
  readonly stream: Duplex;
  readonly #reader: ByteReader;

  constructor(stream: Duplex) {
    this.stream = stream;
    this.#reader = new ByteReader(stream);
  }

  send(data: string | Buffer): void {
    this.stream.write(data);
  }

  /** Ends what the client sends. */
  end(): void {
    this.stream.end();
  }

  /** One reply: `ok`, or `\x01...`/`\x02...` as text without its newline. */
  async reply(): Promise<string> {
    const b = await this.#reader.byte();
    if (b === null) return 'eof';
    if (b === 0) return 'ok';
    const line = await this.#reader.readLine(1 << 16);
    if (line.kind !== 'line') throw new Error(`reply not terminated: ${line.kind}`);
    return String.fromCharCode(b) + line.line.toString('utf8');
  }

  /** A control record, without its newline. */
  async record(): Promise<string> {
    const line = await this.#reader.readLine(1 << 16);
    if (line.kind !== 'line') return line.kind;
    return line.line.toString('utf8');
  }

  async bytes(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let got = 0; got < n; ) {
      const chunk = await this.#reader.next(n - got);
      if (!chunk) throw new Error(`stream ended after ${got} of ${n} bytes`);
      parts.push(Buffer.from(chunk));
      got += chunk.length;
    }
    return Buffer.concat(parts);
  }

  /** Whatever is left until the server's side ends or goes quiet. */
  async rest(): Promise<string> {
    const chunk = await this.#reader.next(1 << 16);
    return chunk ? chunk.toString('latin1') : '';
  }
}

/** Runs `argv` against `fs` with a {@link Peer} as the client. */
export function startScp(
  argv: string[],
  fs: Fs,
): { peer: Peer; result: Promise<ScpResult>; server: Duplex } {
  const options = parseScpCommand(argv);
  if (options instanceof Error) throw options;
  const [server, client] = duplexPair();
  // The caller closes the channel once the command ends, as sftpd does.
  const result = runScp(options, { input: server, output: server }, fs).then((r) => {
    server.end();
    return r;
  });
  return { peer: new Peer(client), result, server };
}
