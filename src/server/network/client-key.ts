import { isIPv4, isIPv6 } from 'node:net';

/**
 * The client a connection counts against for STATEGATE_MAX_CONNECTIONS_PER_IP: the IPv4 address (also
 * when it arrives IPv4-mapped, `::ffff:a.b.c.d`), or the /64 prefix of an IPv6 address, since one IPv6
 * subscriber is routinely handed a whole /64 and could otherwise open the limit once per address.
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address) || !isIPv6(address)) return address;
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, `::` expanded and zone (`%eth0`) dropped. */
function ipv6Groups(address: string): string[] {
  const bare = address.split('%')[0]!.toLowerCase();
  const [head = '', tail] = bare.split('::');
  const part = (text: string) => (text === '' ? [] : text.split(':'));
  const left = part(head);
  // A dotted IPv4 tail (`::1.2.3.4`) fills the last two groups; only the first four matter here.
  const right = part(tail ?? '').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group]));
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) =>
    Number.parseInt(group, 16).toString(16),
  );
}
