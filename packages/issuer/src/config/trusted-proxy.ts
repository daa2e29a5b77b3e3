import { isIP } from "node:net";

/** The names proxy-addr (Fastify's `trustProxy`) gives to the reserved ranges. */
const PROXY_RANGE_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);

/**
 * Whether `entry` names trusted proxies as Fastify's `trustProxy` takes them
 * (`PATGATE_TRUST_PROXY`): an address, a CIDR (`10.0.0.0/8`, `fd00::/8`) or a
 * range name (`loopback`, `linklocal`, `uniquelocal`).
 *
 * @example isTrustedProxyEntry("10.0.0.0/8") // true
 */
export function isTrustedProxyEntry(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = "", bits, extra] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}
