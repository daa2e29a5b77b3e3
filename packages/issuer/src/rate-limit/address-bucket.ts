import { isIPv4, isIPv6 } from "node:net";

/** Leading 16-bit groups of an IPv6 address that name one client: a /64, what one host or home line usually gets. */
const IPV6_CLIENT_GROUPS = 4;

/** The eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function ipv6Groups(ip: string): number[] | undefined {
  const address = ip.split("%", 1)[0] ?? "";
  if (!isIPv6(address)) return undefined;
  // The URL parser writes an IPv6 address in its canonical form, any dotted IPv4 tail in hex.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [left = "", right] = canonical.split("::");
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16)));
  const head = parse(left);
  const tail = right === undefined ? [] : parse(right);
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * The address failed exchanges are counted against: an IPv4 address as it is
 * (an IPv4-mapped IPv6 address as its IPv4 address), an IPv6 address as its
 * /64, since whoever holds one address of a /64 usually holds all of them and
 * would otherwise get a fresh allowance per address.
 *
 * @example addressBucket("2001:db8:0:1:aaaa::7") // "2001:db8:0:1::/64"
 * @example addressBucket("::ffff:10.0.0.7") // "10.0.0.7"
 */
export function addressBucket(ip: string): string {
  if (isIPv4(ip)) return ip;
  const groups = ipv6Groups(ip);
  if (groups === undefined) return ip;
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (mapped) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  return `${groups
    .slice(0, IPV6_CLIENT_GROUPS)
    .map((group) => group.toString(16))
    .join(":")}::/64`;
}
