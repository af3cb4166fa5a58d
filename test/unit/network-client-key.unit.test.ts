import { clientKey } from '../../src/server/network/client-key.js';

describe('clientKey: what STATEGATE_MAX_CONNECTIONS_PER_IP counts against', () => {
  it('is the IPv4 address, also when it arrives IPv4-mapped', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::FFFF:203.0.113.7')).toBe('203.0.113.7');
  });

  it('is the /64 of an IPv6 address, however it is written', () => {
    const key = '2001:db8:aa:1::/64';
    expect(clientKey('2001:db8:aa:1::1')).toBe(key);
    expect(clientKey('2001:0db8:00aa:0001:ffff:ffff:ffff:ffff')).toBe(key);
    expect(clientKey('2001:DB8:AA:1:0:0:0:9')).toBe(key);
    expect(clientKey('2001:db8:aa:1::5%eth0')).toBe(key);
    expect(clientKey('2001:db8:aa:2::1')).not.toBe(key);
  });

  it('expands :: wherever it is', () => {
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(clientKey('2001::1:2:3:4')).toBe('2001:0:0:0::/64');
    expect(clientKey('::1.2.3.4')).toBe('0:0:0:0::/64');
  });

  it('keeps anything else as it is', () => {
    expect(clientKey(undefined)).toBe('unknown');
    expect(clientKey('not-an-ip')).toBe('not-an-ip');
  });
});
