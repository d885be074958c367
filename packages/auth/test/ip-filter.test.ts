import { type IpFilters, isAddressAllowed } from '@sftpgo/auth';
import { describe, expect, it } from 'vitest';

const filters = (allowed_ip: string[], denied_ip: string[] = []): IpFilters => ({
  allowed_ip,
  denied_ip,
});

/** Checks each address of `allowed` is let in and each of `refused` is not. */
function expectPolicy(f: IpFilters, allowed: string[], refused: string[]): void {
  for (const ip of allowed) expect(isAddressAllowed(ip, f), `${ip} allowed`).toBe(true);
  for (const ip of refused) expect(isAddressAllowed(ip, f), `${ip} refused`).toBe(false);
}

describe('isAddressAllowed', () => {
  it('allows everything when both lists are empty', () => {
    expectPolicy(filters([]), ['192.0.2.1', '2001:db8::1', '::ffff:192.0.2.1', '::1'], []);
  });

  it('allows only the listed IPv4 networks', () => {
    expectPolicy(
      filters(['192.0.2.0/24', '198.51.100.7/32']),
      ['192.0.2.0', '192.0.2.1', '192.0.2.255', '198.51.100.7'],
      ['192.0.3.1', '192.0.1.255', '198.51.100.6', '198.51.100.8', '2001:db8::1'],
    );
  });

  it('allows only the listed IPv6 networks', () => {
    expectPolicy(
      filters(['2001:db8::/32', '2001:db9::42/128']),
      ['2001:db8::1', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', '2001:DB9::42', '2001:db9:0::0:42'],
      ['2001:db9::1', '2001:db9::43', '2001:db7::1', '::1', '192.0.2.1'],
    );
  });

  it('denies the listed networks, and lets the others in', () => {
    expectPolicy(
      filters([], ['192.0.2.0/24', '2001:db8::/32']),
      ['192.0.3.1', '2001:db9::1', '::1'],
      ['192.0.2.1', '2001:db8::1'],
    );
  });

  it('denies an address both allowed and denied, whichever list is the narrower', () => {
    expectPolicy(
      filters(['10.0.0.0/8', '2001:db8::/32'], ['10.1.0.0/16', '2001:db8:1::/48']),
      ['10.2.0.1', '2001:db8:2::1'],
      ['10.1.2.3', '2001:db8:1::1', '11.0.0.1'],
    );
    expectPolicy(filters(['192.0.2.5/32'], ['192.0.0.0/16']), [], ['192.0.2.5']);
    expectPolicy(filters(['192.0.2.5/32'], ['192.0.2.5/32']), [], ['192.0.2.5']);
  });

  it('takes IPv4-mapped IPv6 addresses, as a dual-stack socket reports them, as IPv4', () => {
    const f = filters(['192.0.2.0/24'], ['192.0.2.66/32']);
    expectPolicy(
      f,
      ['::ffff:192.0.2.1', '::FFFF:192.0.2.1', '::ffff:c000:201', '0:0:0:0:0:ffff:c000:0201'],
      ['::ffff:192.0.2.66', '::ffff:c000:242', '::ffff:198.51.100.1', '::192.0.2.1'],
    );
    // ...and a mapped network as the IPv4 network it stands for
    expectPolicy(
      filters(['::ffff:192.0.2.0/120'], ['::ffff:192.0.2.66/128']),
      ['192.0.2.1', '::ffff:192.0.2.1'],
      ['192.0.2.66', '::ffff:192.0.2.66', '198.51.100.1'],
    );
  });

  it('matches a network against clients of its own family only', () => {
    expectPolicy(filters(['::/0']), ['2001:db8::1', '::1'], ['192.0.2.1', '::ffff:192.0.2.1']);
    expectPolicy(filters(['0.0.0.0/0']), ['192.0.2.1', '::ffff:192.0.2.1'], ['2001:db8::1']);
    expectPolicy(filters([], ['::/0']), ['192.0.2.1', '::ffff:192.0.2.1'], ['2001:db8::1']);
  });

  it('ignores the zone of a link-local client', () => {
    expectPolicy(filters(['fe80::/10']), ['fe80::1%eth0', 'fe80::1'], ['fec0::1%eth0']);
  });

  it('fails closed: a client that is not an address, or a mask that does not parse', () => {
    expectPolicy(filters(['192.0.2.0/24']), [], ['', 'localhost', '192.0.2.1/32', '192.0.2.256']);
    expectPolicy(filters([], ['192.0.2.0/24']), [], ['', 'not an address']);
    for (const broken of ['192.0.2.1', '192.0.2.0/33', '2001:db8::/129', 'x/8', '10.0.0.0/8/8']) {
      expectPolicy(filters(['0.0.0.0/0', '::/0'], [broken]), [], ['198.51.100.1', '2001:db8::1']);
      expectPolicy(filters(['0.0.0.0/0', broken]), [], ['198.51.100.1']);
    }
  });
});
