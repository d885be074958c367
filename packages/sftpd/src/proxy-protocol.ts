import { isIPv4, isIPv6, type Socket } from 'node:net';

/** A PROXY protocol header that cannot be read: the connection is closed. */
export class ProxyProtocolError extends Error {
  override readonly name = 'ProxyProtocolError';
}

/** The client's side of a connection a proxy relays, as its header states it. */
export interface ProxiedAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * A header read: `source` is the real client, absent when the proxy speaks
 * for itself (v2 `LOCAL`, e.g. its health checks) or does not know (v1
 * `UNKNOWN`, or a v2 family other than TCP over IPv4 or IPv6).
 */
export interface ProxyHeader {
  readonly version: 1 | 2;
  readonly source?: ProxiedAddress;
  /** The bytes of the header, which the SSH stream starts after. */
  readonly length: number;
}

/** The v2 signature: `\r\n\r\n\0\r\nQUIT\n`. */
const V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
const V1_PREFIX = Buffer.from('PROXY ');
/** The spec's longest v1 line, CRLF included. */
const V1_MAX_LENGTH = 107;
/** The signature, version, command, family and length of v2, before its addresses and TLVs. */
const V2_FIXED_LENGTH = 16;

/** Whether `data` (the first bytes of a stream) is, so far, the start of `prefix`. */
function startsLike(data: Buffer, prefix: Buffer): boolean {
  const n = Math.min(data.length, prefix.length);
  return data.subarray(0, n).equals(prefix.subarray(0, n));
}

function port(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new ProxyProtocolError(`PROXY v1 header: bad port ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function parseV1(data: Buffer): ProxyHeader | 'incomplete' {
  const end = data.subarray(0, V1_MAX_LENGTH).indexOf('\r\n');
  if (end < 0) {
    if (data.length >= V1_MAX_LENGTH) {
      throw new ProxyProtocolError(`PROXY v1 header longer than ${V1_MAX_LENGTH} bytes`);
    }
    return 'incomplete';
  }
  const line = data.toString('latin1', 0, end);
  const length = end + 2;
  const fields = line.split(' ');
  if (fields[1] === 'UNKNOWN') return { version: 1, length };
  const [, family, source, destination, sourcePort, destinationPort, ...extra] = fields;
  const isFamily = family === 'TCP4' ? isIPv4 : family === 'TCP6' ? isIPv6 : undefined;
  if (!isFamily || extra.length > 0 || destinationPort === undefined) {
    throw new ProxyProtocolError(`PROXY v1 header malformed: ${JSON.stringify(line)}`);
  }
  if (!isFamily(source ?? '') || !isFamily(destination ?? '')) {
    throw new ProxyProtocolError(
      `PROXY v1 header: bad ${family} address in ${JSON.stringify(line)}`,
    );
  }
  port(destinationPort);
  return {
    version: 1,
    source: { address: source as string, port: port(sourcePort ?? '') },
    length,
  };
}

function ipv6Text(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // the canonical short form, as Node writes socket addresses
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

function parseV2(data: Buffer): ProxyHeader | 'incomplete' {
  if (data.length < V2_FIXED_LENGTH) return 'incomplete';
  const versionCommand = data[12] as number;
  if (versionCommand >> 4 !== 2) {
    throw new ProxyProtocolError(`PROXY v2 header: unknown version ${versionCommand >> 4}`);
  }
  const command = versionCommand & 0x0f;
  if (command > 1) throw new ProxyProtocolError(`PROXY v2 header: unknown command ${command}`);
  const family = data[13] as number;
  const length = V2_FIXED_LENGTH + data.readUInt16BE(14);
  if (data.length < length) return 'incomplete';
  const block = data.subarray(V2_FIXED_LENGTH, length);
  // LOCAL: the proxy's own connection, whose address is the socket's
  if (command === 0) return { version: 2, length };
  if (family === 0x11) {
    if (block.length < 12) throw new ProxyProtocolError('PROXY v2 header: short IPv4 addresses');
    const address = [...block.subarray(0, 4)].join('.');
    return { version: 2, source: { address, port: block.readUInt16BE(8) }, length };
  }
  if (family === 0x21) {
    if (block.length < 36) throw new ProxyProtocolError('PROXY v2 header: short IPv6 addresses');
    const address = ipv6Text(block.subarray(0, 16));
    return { version: 2, source: { address, port: block.readUInt16BE(32) }, length };
  }
  // UNSPEC, UDP or UNIX sockets: no TCP client address to take
  return { version: 2, length };
}

/**
 * Reads a PROXY protocol header (v1 or v2) at the start of `data`, the first
 * bytes of a connection: the header, `'incomplete'` when more bytes are
 * needed to tell, or `'none'` when the stream does not start with one (an
 * SSH client's `SSH-2.0-...`). A malformed header throws.
 */
export function parseProxyHeader(data: Buffer): ProxyHeader | 'incomplete' | 'none' {
  if (data.length === 0) return 'incomplete';
  if (startsLike(data, V2_SIGNATURE)) {
    return data.length < V2_SIGNATURE.length ? 'incomplete' : parseV2(data);
  }
  if (startsLike(data, V1_PREFIX)) {
    return data.length < V1_PREFIX.length ? 'incomplete' : parseV1(data);
  }
  return 'none';
}

/**
 * What is done with the header of a connection, as SFTPGo 0.9.6's
 * `proxy_protocol` and `proxy_allowed` decide it: `use` takes the client
 * address of a header if one comes, `require` refuses a connection without
 * one, `ignore` reads a header and drops it, `reject` refuses at once.
 */
export type ProxyPolicy = 'use' | 'require' | 'ignore' | 'reject';

/**
 * The policy of a connection in `proxy_protocol` mode 1 or 2: `peerListed`
 * says whether its address is in `proxy_allowed`, undefined when that list
 * is empty and every address may send a header.
 */
export function proxyPolicy(mode: 1 | 2, peerListed: boolean | undefined): ProxyPolicy {
  if (peerListed ?? true) return mode === 2 ? 'require' : 'use';
  return mode === 2 ? 'reject' : 'ignore';
}

/**
 * Reads the PROXY header a connection starts with, as `policy` says, and
 * puts back the bytes after it; the socket is left paused. Resolves with the
 * header (undefined when none came, or when `policy` ignores it), or
 * throws a {@link ProxyProtocolError} for a connection to refuse.
 *
 * A client that waits for the server's greeting before it sends anything
 * sends no bytes: after `timeoutMs` it is taken as sending no header, and
 * refused when one is required.
 */
export function readProxyHeader(
  socket: Socket,
  policy: Exclude<ProxyPolicy, 'reject'>,
  timeoutMs: number,
): Promise<ProxyHeader | undefined> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const finish = (error: Error | undefined, header?: ProxyHeader) => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onEnd).off('error', onEnd);
      socket.pause();
      if (error) {
        reject(error);
        return;
      }
      const rest = received.subarray(header?.length ?? 0);
      if (rest.length > 0) socket.unshift(rest);
      resolve(policy === 'ignore' ? undefined : header);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      let parsed: ReturnType<typeof parseProxyHeader>;
      try {
        parsed = parseProxyHeader(received);
      } catch (err) {
        finish(err as Error);
        return;
      }
      if (parsed === 'incomplete') return;
      if (parsed === 'none') {
        finish(policy === 'require' ? new ProxyProtocolError('no PROXY header') : undefined);
        return;
      }
      finish(undefined, parsed);
    };
    const onEnd = () => finish(new ProxyProtocolError('connection closed before its PROXY header'));
    const timer = setTimeout(() => {
      if (received.length > 0 || policy === 'require') {
        finish(new ProxyProtocolError(`no complete PROXY header within ${timeoutMs} ms`));
      } else {
        finish(undefined);
      }
    }, timeoutMs);
    socket.on('data', onData).once('end', onEnd).once('error', onEnd);
  });
}
