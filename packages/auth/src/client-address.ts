import { isIPv4 } from 'node:net';

const MAPPED_PREFIX = '::ffff:';

/**
 * The address as the reference server shows it: an IPv4-mapped IPv6 address,
 * which a socket listening on `::` reports for an IPv4 client, becomes the
 * plain IPv4 address; any other address is returned unchanged.
 *
 * @example
 * plainAddress('::ffff:127.0.0.1'); // '127.0.0.1'
 * plainAddress('2001:db8::1'); // '2001:db8::1'
 */
export function plainAddress(address: string): string {
  if (address.slice(0, MAPPED_PREFIX.length).toLowerCase() !== MAPPED_PREFIX) return address;
  const ipv4 = address.slice(MAPPED_PREFIX.length);
  return isIPv4(ipv4) ? ipv4 : address;
}

/**
 * Address and port as Go's `net.Addr.String()` writes them: `127.0.0.1:54321`,
 * `[2001:db8::1]:54321`.
 */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
