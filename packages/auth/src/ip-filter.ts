import { BlockList, isIP } from 'node:net';

/** A user's login policy by address: lists of IP/masks in CIDR notation. */
export interface IpFilters {
  /** When not empty, only these networks may log in. */
  readonly allowed_ip: readonly string[];
  /** These networks may not log in, even when also allowed. */
  readonly denied_ip: readonly string[];
}

type Family = 'ipv4' | 'ipv6';

interface Network {
  readonly address: string;
  readonly prefix: number;
  readonly family: Family;
}

// ::ffff:a.b.c.d, once the URL parser has written it in its canonical form
const MAPPED_IPV4 = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/;

/** The IPv4 address an IPv4-mapped IPv6 address stands for, if it is one. */
function unmapIpv4(ipv6: string): string | undefined {
  let hostname: string;
  try {
    hostname = new URL(`http://[${ipv6}]/`).hostname;
  } catch {
    return undefined;
  }
  const match = MAPPED_IPV4.exec(hostname);
  if (!match) return undefined;
  const high = Number.parseInt(match[1]!, 16);
  const low = Number.parseInt(match[2]!, 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/**
 * An address, or an `address/prefix` network, with its zone (`%eth0`)
 * dropped; an IPv4-mapped IPv6 one becomes the IPv4 one it stands for (a
 * mapped network too, when its prefix covers the 96 bits of the mapping).
 */
function parseNetwork(address: string, prefix: number | undefined): Network | undefined {
  if (isIP(address) === 0) return undefined;
  const bare = address.replace(/%.*$/, '');
  const version = isIP(bare);
  if (version === 4) {
    return prefix === undefined || prefix <= 32
      ? { address: bare, prefix: prefix ?? 32, family: 'ipv4' }
      : undefined;
  }
  if (version !== 6 || (prefix !== undefined && prefix > 128)) return undefined;
  const ipv4 = unmapIpv4(bare);
  if (ipv4 !== undefined && (prefix === undefined || prefix >= 96)) {
    return { address: ipv4, prefix: (prefix ?? 128) - 96, family: 'ipv4' };
  }
  return { address: bare, prefix: prefix ?? 128, family: 'ipv6' };
}

/** `address/prefix`, as the provider accepts it: the prefix is mandatory. */
function parseMask(value: string): Network | undefined {
  const [address, prefix, extra] = value.split('/');
  if (address === undefined || prefix === undefined || extra !== undefined) return undefined;
  if (!/^\d{1,3}$/.test(prefix)) return undefined;
  return parseNetwork(address, Number(prefix));
}

/**
 * Whether `client` lies in one of `masks`; `undefined` when a mask does not
 * parse. A mask matches the clients of its own family only: `::/0` covers
 * every IPv6 client and no IPv4 one.
 */
function contains(masks: readonly string[], client: Network): boolean | undefined {
  const list = new BlockList();
  for (const mask of masks) {
    const network = parseMask(mask);
    if (!network) return undefined;
    // node's BlockList would match an IPv4 client against IPv6 networks too
    if (network.family === client.family) {
      list.addSubnet(network.address, network.prefix, network.family);
    }
  }
  return list.check(client.address, client.family);
}

/**
 * Whether a client at `ip` may log in under `filters`, as SFTPGo decides:
 * an address in `denied_ip` is refused, even when also allowed; otherwise an
 * empty `allowed_ip` allows every address, a non-empty one only those it
 * lists. IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, what a dual-stack
 * socket reports for an IPv4 client) are taken as the IPv4 address.
 *
 * When either list is not empty, an `ip` that is not an address, or a mask
 * that does not parse, refuses the login: a broken filter fails closed.
 *
 * @example
 * const filters = { allowed_ip: ['192.0.2.0/24'], denied_ip: ['192.0.2.66/32'] };
 * isAddressAllowed('::ffff:192.0.2.1', filters); // true
 * isAddressAllowed('192.0.2.66', filters); // false
 */
export function isAddressAllowed(ip: string, filters: IpFilters): boolean {
  const { allowed_ip: allowed, denied_ip: denied } = filters;
  if (allowed.length === 0 && denied.length === 0) return true;
  const client = parseNetwork(ip, undefined);
  if (!client) return false;
  const isDenied = contains(denied, client);
  if (isDenied !== false) return false;
  if (allowed.length === 0) return true;
  return contains(allowed, client) === true;
}
