import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a trigger may not call unless STATEGATE_TRIGGERS_ALLOW_PRIVATE=true: what would let a caller who
 * can create triggers reach the server's own network (SSRF): loopback, RFC 1918 and unique-local ranges,
 * link-local (which holds the cloud metadata endpoints 169.254.169.254 and fd00:ec2::254), carrier-grade NAT,
 * "this network", benchmarking, multicast and reserved ranges.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['100::', 64],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible or NAT64 (64:ff9b::) IPv6 address. */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase();
  const match = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (match) return match[1]!;
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return null;
  const hi = Number.parseInt(hex[1]!, 16);
  const lo = Number.parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Why an address is refused, or null when it is a public one. */
export function refusedAddress(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  if (family === 4) return blocked.check(address, 'ipv4') ? `${address} is a private or reserved address` : null;
  const inner = embeddedIpv4(address);
  if (inner !== null) return refusedAddress(inner) === null ? null : `${address} is a private or reserved address`;
  return blocked.check(address, 'ipv6') ? `${address} is a private or reserved address` : null;
}

/** A URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Every address the host resolves to must be public (one private answer is enough to refuse: DNS answers
 * may rotate). Resolves with the addresses; throws an Error saying why when one is refused.
 */
export async function resolvePublic(host: string): Promise<{ address: string; family: number }[]> {
  const addresses = isIP(host) !== 0 ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
  for (const { address } of addresses) {
    const reason = refusedAddress(address);
    if (reason !== null) {
      throw new Error(
        `refused: ${host} resolves to ${reason} (set STATEGATE_TRIGGERS_ALLOW_PRIVATE=true to allow private targets)`,
      );
    }
  }
  return addresses;
}
