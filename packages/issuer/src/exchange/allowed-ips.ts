import { BlockList, isIP } from "node:net";

/** Addresses a token remembers having been used from, newest first. */
export const RECENT_IPS = 5;

/** An IPv4 client seen through an IPv6 socket (`::ffff:a.b.c.d`) is the IPv4 address. */
function plainAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped?.[1] ?? ip;
}

/** Whether `ip` falls in one of the CIDRs (no list means any address). */
export function addressAllowed(allowedIps: readonly string[] | undefined, ip: string): boolean {
  if (!allowedIps || allowedIps.length === 0) return true;
  const address = plainAddress(ip);
  const family = isIP(address);
  if (family === 0) return false;
  const list = new BlockList();
  for (const cidr of allowedIps) {
    const [base = "", prefix = "0"] = cidr.split("/");
    const type = isIP(base) === 4 ? "ipv4" : "ipv6";
    list.addSubnet(base, Number(prefix), type);
  }
  return list.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** The recent-address list after a use from `ip`: newest first, distinct, at most RECENT_IPS. */
export function withRecentIp(recent: readonly string[] | undefined, ip: string): string[] {
  return [ip, ...(recent ?? []).filter((seen) => seen !== ip)].slice(0, RECENT_IPS);
}
