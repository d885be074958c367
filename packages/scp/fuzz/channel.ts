import { Duplex } from 'node:stream';

// An in-memory SSH channel. In a slow one, what the server writes is taken
// a turn of the event loop later and its buffer is small, as over a network
// with a full window: the server's writes wait for `drain`, a path that an
// instant pair never takes.

/** The server's end and the client's end of a channel. */
export function channelPair(slow: boolean): { server: Duplex; client: Duplex } {
  let client: Duplex;
  const server = new Duplex({
    highWaterMark: slow ? 8 : 16 * 1024,
    read() {},
    write(chunk: Buffer, _encoding, done) {
      client.push(chunk);
      if (slow) setImmediate(done);
      else done();
    },
    final(done) {
      client.push(null);
      done();
    },
  });
  client = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      server.push(chunk);
      done();
    },
    final(done) {
      server.push(null);
      done();
    },
  });
  return { server, client };
}
