import { describe, expect, it } from 'vitest';
import { clientNetwork } from './client-network.js';

describe(clientNetwork.name, () => {
  it('keeps an IPv4 address, also when it comes IPv4-mapped', () => {
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('::FFFF:127.0.0.1')).toBe('127.0.0.1');
  });

  it('reduces IPv6 to its /64, however it is written', () => {
    const network = '2001:db8:0:1::/64';
    expect(clientNetwork('2001:db8:0:1::1')).toBe(network);
    expect(clientNetwork('2001:0db8:0000:0001:ffff:ffff:ffff:ffff')).toBe(network);
    expect(clientNetwork('2001:DB8:0:1:a::b')).toBe(network);
    expect(clientNetwork('2001:db8:0:1::5%eth0')).toBe(network);
    expect(clientNetwork('2001:db8:0:1:0:0:1.2.3.4')).toBe(network);
    expect(clientNetwork('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
  });

  it('passes anything else through', () => {
    expect(clientNetwork('unknown')).toBe('unknown');
  });
});
