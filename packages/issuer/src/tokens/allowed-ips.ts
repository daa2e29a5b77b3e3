import { BlockList, isIP } from "node:net";
import { invalid } from "./errors.js";

/** Most entries an allow-list holds. */
export const MAX_ALLOWED_IPS = 32;
/** Addresses a token remembers having been used from, newest first. */
export const RECENT_IPS = 5;

/** `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `x::/n`, normalised (an address alone gets /32 or /128). */
function checkCidr(entry: unknown, field: string): string {
  if (typeof entry !== "string" || entry.length > 64) throw invalid(field, "entries must be IPv4 or IPv6 CIDRs");
  const [address = "", prefixText, extra] = entry.trim().split("/");
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (family === 0 || extra !== undefined || !/^\d{1,3}$/.test(String(prefix)) || prefix > bits) {
    throw invalid(field, `has an entry that is not an IPv4 or IPv6 CIDR (such as 203.0.113.0/24 or 2001:db8::/32)`);
  }
  return `${address.toLowerCase()}/${prefix}`;
}

/**
 * A per-token allow-list of client addresses: up to 32 IPv4/IPv6 CIDRs,
 * normalised and deduplicated. An empty list (or null, on update) removes it.
 */
export function checkAllowedIps(value: unknown, field = "allowedIps"): string[] {
  if (!Array.isArray(value)) throw invalid(field, "must be an array of IPv4 or IPv6 CIDRs");
  if (value.length > MAX_ALLOWED_IPS) throw invalid(field, `must hold at most ${MAX_ALLOWED_IPS} entries`);
  return [...new Set(value.map((entry) => checkCidr(entry, field)))];
}

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
