import type { Readable, Writable } from 'node:stream';
import type { Fs } from '@sftpgo/vfs';
import type { ScpOptions } from './command.js';
import { oneLine, reasonOf, ScpContext, ScpFatalError } from './common.js';
import { ByteReader, ByteWriter, ConnectionLost } from './io.js';
import { sink } from './sink.js';
import { source } from './source.js';

/** Where the protocol runs: an SSH exec channel's stdin, stdout and stderr, or any streams. */
export interface ScpStreams {
  /** What the client sends (the channel's stdin). */
  readonly input: Readable;
  /** What the client reads (the channel's stdout). */
  readonly output: Writable;
  /** The channel's stderr: where a fatal error goes when it cannot be sent on `output`. */
  readonly stderr?: Writable;
  /**
   * `output` has copied each chunk, or handed it to the kernel, by the time
   * it calls back: SSH channels and sockets do. A download then reads the
   * file into two buffers in turn instead of a new one per chunk. Leave it
   * unset for in-memory streams such as a PassThrough, which hand the very
   * buffer on to their reader.
   */
  readonly outputCopies?: boolean;
}

/** How an scp command ended. */
export interface ScpResult {
  /** 0 when everything was copied, 1 when anything failed (as OpenSSH's scp exits). */
  readonly exitCode: number;
  /** The error that ended the transfer, else the first one sent or received. */
  readonly error?: string;
}

/**
 * Runs the server side of an scp command over `streams` against `fs`, until
 * the transfer ends. The streams are left open: the caller sends the exit
 * status and closes the channel.
 *
 * @example
 * const options = parseScpCommand(['scp', '-r', '-t', '/uploads']);
 * if (options instanceof Error) throw options;
 * const { exitCode } = await runScp(options, { input: channel, output: channel, stderr: channel.stderr }, fs);
 */
export async function runScp(options: ScpOptions, streams: ScpStreams, fs: Fs): Promise<ScpResult> {
  const reader = new ByteReader(streams.input);
  const writer = new ByteWriter(streams.output);
  const ctx = new ScpContext(options, fs, reader, writer, streams.outputCopies);
  let fatal: string | undefined;
  try {
    if (options.mode === 'sink') await sink(ctx);
    else await source(ctx);
  } catch (err) {
    let delivered = false;
    if (err instanceof ConnectionLost) {
      fatal = `scp: ${err.message}`;
    } else if (err instanceof ScpFatalError && !err.notifyPeer) {
      fatal = err.message;
      delivered = true; // the peer's own message
    } else {
      fatal = `scp: ${reasonOf(err)}`;
      if (writer.usable) {
        delivered = await writer.write(`\x02${oneLine(fatal)}\n`).then(
          () => true,
          () => false,
        );
      }
    }
    // What the client could not read on the channel, it may still see on stderr.
    const stderr = streams.stderr;
    if (!delivered && stderr && !stderr.destroyed && !stderr.writableEnded) {
      stderr.write(`${oneLine(fatal)}\n`);
    }
  } finally {
    reader.dispose();
    writer.dispose();
  }
  const error = fatal ?? ctx.errors[0];
  return error === undefined ? { exitCode: 0 } : { exitCode: 1, error };
}
