/**
 * The address a phone on the same network uses to reach this machine. A server bound to a
 * wildcard (`0.0.0.0`, `::`) is reachable on every interface, but that address means nothing to
 * a phone, so a URL shows the LAN address instead. Pure: the interfaces are passed in.
 */
import * as os from 'node:os';

type Interfaces = ReturnType<typeof os.networkInterfaces>;

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

export function isWildcardHost(host: string): boolean {
  return WILDCARDS.has(host.trim());
}

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127\./.test(h);
}

/** Private IPv4 ranges (RFC 1918) first: those are what a home or office network hands out. */
function rank(address: string): number {
  if (/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(address)) return 0;
  if (/^169\.254\./.test(address)) return 2; // link-local: no DHCP answered
  return 1;
}

/** External IPv4 addresses of this machine, the likeliest LAN address first. */
export function lanAddresses(interfaces: Interfaces = os.networkInterfaces()): string[] {
  const found: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.internal || a.family !== 'IPv4' || found.includes(a.address)) continue;
      found.push(a.address);
    }
  }
  return found.sort((a, b) => rank(a) - rank(b));
}

/** The host to put in a URL for `bound`: the LAN address for a wildcard, else `bound` itself. */
export function urlHost(bound: string, interfaces?: Interfaces): string {
  const host = isWildcardHost(bound) ? (lanAddresses(interfaces)[0] ?? '127.0.0.1') : bound.trim();
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
